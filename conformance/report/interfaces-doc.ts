import type { Catalogue } from "../../compiler/corpus/check.js";
import { networkAssets } from "./en18031.js";

export const INTERFACES_DOC = "docs/exposed-interfaces.md";

/**
 * The user documentation of every exposed interface and port (EN 18031-1 GEC-4),
 * rendered from table `baseline-inbound` of specs/firewall/spec.md and the ports
 * provisioning can open, so the document cannot drift from the ruleset's table.
 */
export function interfacesDoc(catalogue: Catalogue): string {
  const cell = (s: string) => s.replace(/\|/g, "\\|");
  const rows = networkAssets(catalogue).map((n) => `| ${n.interface} | ${n.protocol} | ${cell(n.ports)} | ${cell(n.purpose)} | ${cell(n.exposure)} |`);
  return [
    "# Exposed network interfaces and services",
    "",
    "<!-- Generated from table `baseline-inbound` of specs/firewall/spec.md by",
    "     `npx tsx conformance/cli/interfaces-doc.ts`; a test fails when it drifts. -->",
    "",
    "Everything the gateway accepts from a network (EN 18031-1 GEC-4). The input chain drops every other packet; nothing is",
    "ever forwarded between WAN (eth0) and LAN (eth1). Outbound traffic is not restricted.",
    "",
    "| interface | protocol | ports | service and purpose | exposed |",
    "|---|---|---|---|---|",
    ...rows,
    "",
    "`tun0` exists only while the OpenVPN recovery tunnel is up. Ports on eth0 open only as listed in `config.toml`",
    "`[firewall.inbound]` (see specs/provisioning/spec.md), and WAN SSH only while the flag file exists on the device.",
    "",
  ].join("\n");
}
