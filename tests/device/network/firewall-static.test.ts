// The plain files as shipped: the baseline ruleset against the spec's table
// `baseline-inbound` (loaded into a namespace and read back with `nft -j`), the
// renderer's batch, the inbound schema, and the unit and networkd files.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import { scenario } from "../../../conformance/binding.js";
import baselineTable from "../../../generated/tables/baseline-inbound.json" with { type: "json" };
import { validators } from "../../../generated/validators/index.js";
import { renderProvisionedScript } from "../../../device/network/firewall-rules.js";
import { checkNftScript, listChainRules } from "../../../device/network/nft.js";
import { BASELINE_NFT, ETC, namespaceRefusal, REPO, run } from "./lab.js";

const refusal = namespaceRefusal();
const ns = `anx-static-${process.pid}`;
const nft = ["ip", "netns", "exec", ns, "nft"];
beforeAll(() => {
  if (refusal) return;
  run(["ip", "netns", "add", ns]);
  run([...nft, "-f", BASELINE_NFT]);
});
afterAll(() => {
  if (!refusal) run(["ip", "netns", "del", ns], { allowFail: true });
});

/** What an accept rule matches, read from nft's JSON: interface, protocol, ports. */
function describeRule(expr: any[]): { iif?: string; proto?: string; ports?: string; ct?: string; verdict?: string; other: number } {
  const d: ReturnType<typeof describeRule> = { other: 0 };
  for (const e of expr) {
    if (e.accept !== undefined) d.verdict = "accept";
    else if (e.drop !== undefined) d.verdict = "drop";
    else if (e.match?.left?.meta?.key === "iifname") d.iif = e.match.right;
    else if (e.match?.left?.payload?.field === "dport") {
      d.proto = e.match.left.payload.protocol;
      const r = e.match.right;
      d.ports = typeof r === "number" ? String(r) : r.range ? `${r.range[0]}-${r.range[1]}` : JSON.stringify(r);
    } else if (e.match?.left?.payload?.field === "type") {
      d.proto = e.match.left.payload.protocol;
      d.ports = String(e.match.right);
    } else if (e.match?.left?.ct?.key === "state") d.ct = [].concat(e.match.right).join(",");
    else d.other++;
  }
  return d;
}

scenario("fw.baseline.ruleset", { targets: ["host"] }, ({ context }) => {
  if (refusal) context.skip(refusal);
  const doc = JSON.parse(run([...nft, "-j", "list", "table", "inet", "filter"]).stdout).nftables as any[];
  const chain = (name: string) => doc.find((o) => o.chain?.name === name)?.chain;
  expect(chain("input")).toMatchObject({ hook: "input", policy: "drop" });
  expect(chain("forward")).toMatchObject({ hook: "forward", policy: "drop" });
  expect(chain("output")).toMatchObject({ hook: "output", policy: "accept" });
  const input = listChainRules(nft, "inet", "filter", "input").map((r) => describeRule(r.expr));
  expect(input.every((r) => r.verdict === "accept" && r.other === 0), JSON.stringify(input)).toBe(true);
  expect(input[0]).toEqual({ iif: "lo", verdict: "accept", other: 0 });
  expect(input[1]).toEqual({ ct: "established,related", verdict: "accept", other: 0 });
  const ruleRows = input.slice(2).map((r) => `${r.iif} ${r.proto} ${r.ports}`).sort();
  const tableRows = baselineTable.rows.map((r) => `${r.interface} ${r.protocol} ${r.ports}`).sort();
  console.log(`baseline accept rules vs table baseline-inbound: ${ruleRows.join("; ")}`);
  expect(ruleRows).toEqual(tableRows);
  expect(listChainRules(nft, "inet", "filter", "forward")).toEqual([]);
});

scenario("fw.apply.single-batch", { targets: ["host"] }, ({ context }) => {
  if (refusal) context.skip(refusal);
  const current = listChainRules(nft, "inet", "filter", "input");
  const script = renderProvisionedScript({ wan: { tcp: [443, 80] }, lan: { udp: [5000] } }, current);
  checkNftScript(nft, script);
  const commands = script.split("\n").filter((l) => l && !l.startsWith("#"));
  expect(commands).toHaveLength(3);
  for (const c of commands) {
    expect(c).toMatch(/^add rule inet filter input .* accept comment "provisioned-inbound"$/);
  }
  expect(script.match(/\b(chain|table)\b/g) ?? []).toEqual([]);
  expect([...script.matchAll(/inet filter (\w+)/g)].map((m) => m[1])).toEqual(["input", "input", "input", "input"]);
});

scenario("fw.inbound-file.schema", { targets: ["host"] }, () => {
  const validate = validators["firewall-inbound"];
  const valid = [{}, { wan: { tcp: [443], udp: [1194] } }, { lan: { tcp: [8443] } }, { tcp: [443], udp: [1194] }, { udp: [51820] }];
  const invalid = [
    { tcp: [443], wan: { udp: [1194] } },
    { udp: [1194], lan: { tcp: [8443] } },
    { tcp: [443, 443] },
    { tcp: [0] },
    { udp: [65536] },
    { tcp: ["443"] },
    { wan: { tcp: [443, 443] } },
    { wan: { tcp: [0] } },
    { wan: { udp: [65536] } },
    { wan: { tcp: ["443"] } },
    { wan: { tcp: [true] } },
    { lan: { sctp: [1] } },
    { sctp: [1] },
    [],
  ];
  for (const v of valid) expect(validate(v), JSON.stringify(v)).toBe(true);
  for (const v of invalid) expect(validate(v), JSON.stringify(v)).toBe(false);
});

function unitSections(file: string): Map<string, Array<[string, string]>> {
  const sections = new Map<string, Array<[string, string]>>();
  let current = "";
  for (const raw of readFileSync(file, "utf8").split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const h = /^\[(.+)\]$/.exec(line);
    if (h) sections.set((current = h[1]!), sections.get(h[1]!) ?? []);
    else sections.get(current)!.push([line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]);
  }
  return sections;
}
const get = (s: Map<string, Array<[string, string]>>, sec: string, key: string) => (s.get(sec) ?? []).filter(([k]) => k === key).map(([, v]) => v);

scenario("fw.ssh-wan.units", { targets: ["host"] }, () => {
  const toggle = unitSections(join(REPO, "device/units/ssh-wan-toggle.service"));
  const reload = unitSections(join(REPO, "device/units/ssh-wan-reload.service"));
  for (const u of [toggle, reload]) {
    expect(get(u, "Service", "Type")).toEqual(["oneshot"]);
    expect(get(u, "Unit", "After").join(" ").split(/\s+/)).toContain("nftables.service");
  }
  expect(get(toggle, "Install", "WantedBy").join(" ").split(/\s+/)).toContain("multi-user.target");
  expect(reload.has("Install")).toBe(false);
});

scenario("lan.nic-naming.link-files", { targets: ["host"] }, () => {
  const link = unitSections(join(ETC, "systemd/network/10-onboard-eth.link"));
  expect(get(link, "Match", "Path")).toEqual(["platform-ff540000.ethernet"]);
  expect(get(link, "Link", "Name")).toEqual(["eth0"]);
  const others = run(["sh", "-c", `ls ${join(ETC, "systemd/network")}/*.link`]).stdout.trim().split("\n");
  for (const f of others) {
    const s = unitSections(f);
    const drivers = get(s, "Match", "Driver").join(" ");
    if (/r8152|ax88179_178a|cdc_ether/.test(drivers)) expect(get(s, "Link", "Name").concat(get(s, "Link", "NamePolicy"))).toEqual([]);
  }
});

scenario("lan.wan-dhcp.network-file", { targets: ["host"] }, () => {
  const wan = unitSections(join(ETC, "systemd/network/10-wan.network"));
  expect(get(wan, "Match", "Name")).toEqual(["eth0"]);
  expect(get(wan, "Network", "DHCP")).toEqual(["ipv4"]);
  expect(get(wan, "Network", "IPv6AcceptRA")).toEqual(["no"]);
  expect(get(wan, "DHCPv4", "UseDNS")).toEqual(["yes"]);
  expect(get(wan, "DHCPv4", "UseNTP")).toEqual(["no"]);
});
