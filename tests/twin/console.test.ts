import { expect } from "vitest";
import { scenario } from "../../conformance/binding.js";
import { useContainerTwin } from "./container-fixture.js";
import { hostKey, LAN_GATEWAY, lanClient, provision, wanAddress } from "./device.js";

// The LAN bootstrap console on the nspawn twin, reached from the LAN and WAN peers.
// Not bound here: console.open-before-provisioning.unsigned (first-boot.service must
// complete) and console.apply.restarts (the answer lists quadlet-sync.service restarted):
// both need quadlet-sync to succeed, and rootless podman cannot store images on this
// twin (overlay over overlayfs); the VM twin is where they run.
const twin = useContainerTwin();
const SLOW = { targets: ["container"] as const, timeout: 180_000 };
const admin = hostKey("console-admin");

type Twin = Awaited<ReturnType<typeof twin>>;

/** HTTP status of GET url from a peer, by the real curl ("000": no answer within `seconds`). */
async function httpStatus(t: Twin, peer: "lan" | "wan", url: string, seconds = 5): Promise<string> {
  const r = await t.peer(peer, ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", String(seconds), url], (seconds + 5) * 1000);
  return r.stdout;
}

scenario("console.lan-only.wan-dropped", SLOW, async ({ context }) => {
  const t = await twin(context);
  await provision(t, [admin.pub]);
  await lanClient(t);
  await t.waitForPort(8080);
  expect(await httpStatus(t, "lan", `http://${LAN_GATEWAY}:8080/`), "the console from the LAN").toBe("200");
  const eth0 = await wanAddress(t);
  // the WAN client sends LAN-subnet traffic to the gateway, as a hostile upstream host could
  expect((await t.peer("wan", ["ip", "route", "replace", "172.20.30.0/24", "via", eth0])).code).toBe(0);
  for (const host of [eth0, LAN_GATEWAY]) {
    const r = await t.peer("wan", ["timeout", "5", "bash", "-c", `exec 3<>/dev/tcp/${host}/8080`], 15_000);
    expect(r.code, `TCP ${host}:8080 from the WAN (124: no answer in 5 s): ${r.stderr}`).toBe(124);
  }
  const ruleset = JSON.parse(await t.succeed("nft -j list ruleset")) as { nftables: Record<string, unknown>[] };
  const rules = ruleset.nftables.flatMap((o) => ("rule" in o ? [o.rule as { expr?: unknown[] }] : []));
  const opens8080 = rules.filter((r) => accepts(r.expr ?? []) && matchesTcpPort(r.expr ?? [], 8080));
  expect(opens8080.length, "rules accepting TCP 8080").toBeGreaterThan(0);
  for (const r of opens8080) expect(iifnames(r.expr ?? []), JSON.stringify(r)).toContain("eth1");
});

scenario("console.bind.custom-subnet", SLOW, async ({ context }) => {
  const t = await twin(context);
  // no sentinel: the boot re-applies the stored configuration as a first boot does
  await provision(t, [admin.pub], { sentinel: false, extra: '[lan]\ngateway_cidr = "10.50.0.1/24"' });
  await t.reboot();
  await t.waitForUnit("bootstrap-console.service");
  await lanClient(t, "10.50.0.50/24");
  await t.waitUntil("ss -Hltn 'sport = :8080' | grep -q 10.50.0.1", "the console on 10.50.0.1", 30_000);
  expect(await httpStatus(t, "lan", "http://10.50.0.1:8080/")).toBe("200");
  const listeners = (await t.succeed("ss -Hltn 'sport = :8080'")).trim().split("\n").map((l) => l.trim().split(/\s+/)[3]);
  expect(listeners).toEqual(["10.50.0.1:8080"]);
  await t.succeed("find /data -mindepth 1 -delete");
  await t.reboot();
  await lanClient(t);
  await t.waitUntil(`ss -Hltn 'sport = :8080' | grep -q ${LAN_GATEWAY}`, "the console on the fallback address", 30_000);
  expect(await httpStatus(t, "lan", `http://${LAN_GATEWAY}:8080/`)).toBe("200");
});

// nft JSON: {match: {op, left: {payload: {protocol, field}} | {meta: {key}}, right}}
type Expr = { match?: { op?: string; left?: Record<string, { protocol?: string; field?: string; key?: string }>; right?: unknown }; accept?: null };

function accepts(exprs: unknown[]): boolean {
  return (exprs as Expr[]).some((e) => e && "accept" in e);
}

function matchesTcpPort(exprs: unknown[], port: number): boolean {
  return (exprs as Expr[]).some((e) => {
    const p = e.match?.left?.payload;
    if (!p || p.protocol !== "tcp" || p.field !== "dport") return false;
    return covers(e.match!.right, port);
  });
}

/** Whether an nft JSON right-hand side (number, set, range) includes the port. */
function covers(right: unknown, port: number): boolean {
  if (typeof right === "number") return right === port;
  if (Array.isArray(right)) return right.some((r) => covers(r, port));
  if (right && typeof right === "object") {
    const o = right as { set?: unknown[]; range?: [number, number] };
    if (o.set) return covers(o.set, port);
    if (o.range) return o.range[0] <= port && port <= o.range[1];
  }
  return false;
}

function iifnames(exprs: unknown[]): string[] {
  return (exprs as Expr[]).flatMap((e) => (e.match?.left?.meta?.key === "iifname" && e.match.op === "==" && typeof e.match.right === "string" ? [e.match.right] : []));
}
