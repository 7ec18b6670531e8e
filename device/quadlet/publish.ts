import { isIPv4, isIPv6 } from "node:net";

/**
 * PublishPort entries of rootless units: `[host:][hostPort:]containerPort[/proto]`,
 * host an IPv4 address, `[IPv6]` or `localhost`, ports single or `a-b` ranges. Every
 * host binding is rewritten to loopback, so a rootless container is reachable only
 * from the gateway itself (the firewall forwards nothing).
 */

const LOOPBACK = "127.0.0.1";

export type PublishRewrite = { ok: true; value: string; replaced?: string } | { ok: false; error: string };

interface PortRange {
  first: number;
  last: number;
}

function parsePorts(text: string): PortRange | undefined {
  const m = /^([0-9]{1,5})(?:-([0-9]{1,5}))?$/.exec(text);
  if (!m) return undefined;
  const first = Number(m[1]);
  const last = m[2] === undefined ? first : Number(m[2]);
  if (first < 1 || last > 65535 || first > last || /^0/.test(m[1]!) || (m[2] !== undefined && /^0/.test(m[2]))) return undefined;
  return { first, last };
}

function isLoopbackV4(addr: string): boolean {
  return isIPv4(addr) && addr.startsWith("127.");
}

/** Rewrites one entry; `replaced` names a non-loopback host address that was dropped. */
export function rewritePublishPort(entry: string): PublishRewrite {
  let host: string | undefined;
  let rest = entry;
  if (entry.startsWith("[")) {
    const close = entry.indexOf("]");
    if (close < 0 || entry[close + 1] !== ":") return { ok: false, error: "has an unterminated [IPv6] host address" };
    host = entry.slice(1, close);
    if (!isIPv6(host)) return { ok: false, error: `host address [${host}] is not an IPv6 address` };
    rest = entry.slice(close + 2);
  }
  const parts = rest.split(":");
  let hostPort: string | undefined;
  let container: string;
  if (host !== undefined) {
    if (parts.length !== 2) return { ok: false, error: "expected [IPv6]:hostPort:containerPort" };
    [hostPort, container] = parts as [string, string];
  } else if (parts.length === 1) {
    container = parts[0]!;
  } else if (parts.length === 2) {
    [hostPort, container] = parts as [string, string];
  } else if (parts.length === 3) {
    [host, hostPort, container] = parts as [string, string, string];
    if (host !== "" && host !== "localhost" && !isIPv4(host)) return { ok: false, error: `host address ${JSON.stringify(host)} is not an IPv4 address, [IPv6] or localhost` };
  } else {
    return { ok: false, error: "expected [host:][hostPort:]containerPort[/protocol] (write IPv6 hosts in brackets)" };
  }
  const protoMatch = /^(.*?)(?:\/(tcp|udp|sctp))?$/.exec(container)!;
  if (container.includes("/") && protoMatch[2] === undefined) return { ok: false, error: `protocol in ${JSON.stringify(container)} must be tcp, udp or sctp` };
  const cPorts = parsePorts(protoMatch[1]!);
  if (!cPorts) return { ok: false, error: `container port ${JSON.stringify(protoMatch[1])} must be a port or range within 1..65535` };
  if (hostPort !== undefined && hostPort !== "") {
    const hPorts = parsePorts(hostPort);
    if (!hPorts) return { ok: false, error: `host port ${JSON.stringify(hostPort)} must be a port or range within 1..65535` };
    if (hPorts.last - hPorts.first !== cPorts.last - cPorts.first) return { ok: false, error: "host and container port ranges differ in length" };
  }
  const tail = `${hostPort ?? ""}:${container}`;
  if (host === undefined || host === "" || host === "localhost" || host === "::1") return { ok: true, value: `${LOOPBACK}:${tail}` };
  if (isLoopbackV4(host)) return { ok: true, value: `${host}:${tail}` };
  return { ok: true, value: `${LOOPBACK}:${tail}`, replaced: isIPv6(host) ? `[${host}]` : host };
}
