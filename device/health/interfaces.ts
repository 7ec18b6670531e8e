import type { CommandRunner } from "../update/runner.js";

/** IPv4 addresses on an interface, read with `ip -j -4 addr show dev IF` (local state only). */
export async function ipv4Addresses(runner: CommandRunner, ifname: string): Promise<{ ok: true; addresses: string[] } | { ok: false; problem: string }> {
  const r = await runner.run("ip", ["-j", "-4", "addr", "show", "dev", ifname], { timeoutMs: 10_000 });
  if (r.code !== 0) return { ok: false, problem: `${ifname}: ${r.stderr.trim() || `ip exited ${r.code}`}` };
  try {
    const links = JSON.parse(r.stdout || "[]") as { addr_info?: { family?: string; local?: string }[] }[];
    const addresses = links.flatMap((l) => (l.addr_info ?? []).filter((a) => a.family === "inet" && a.local).map((a) => a.local!));
    return { ok: true, addresses };
  } catch (e) {
    return { ok: false, problem: `${ifname}: cannot parse ip output (${(e as Error).message})` };
  }
}
