// lan-apply on files only: rendered outputs, idempotence, minimal restarts, atomic
// replacement seen by a concurrent reader, and the bundled program's exit code.
import { bundleEsm } from "../../../device/build.js";
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, expect } from "vitest";
import { scenario } from "../../../conformance/binding.js";
import { applyLan } from "../../../device/network/lan-apply.js";
import { REPO, SITE_SETTINGS } from "./lab.js";

const dir = mkdtempSync(join(tmpdir(), "atomicnix-lan-apply-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MAC = "52:54:00:12:34:56";

scenario("lan.apply.outputs", { targets: ["host"] }, () => {
  const settingsFile = join(dir, "outputs.json");
  writeFileSync(settingsFile, JSON.stringify({ ...SITE_SETTINGS, dhcp_start: "10.50.0.10", dhcp_end: "10.50.0.200", gateway_aliases: ["gw"] }));
  const root = join(dir, "outputs");
  const r = applyLan({ settingsFile, root, eth1Mac: MAC });
  expect(r.fallbackReason).toBeUndefined();
  const read = (role: string) => readFileSync(r.files.find((f) => f.role === role)!.file, "utf8");
  const dnsmasq = read("dnsmasq");
  for (const line of ["dhcp-range=10.50.0.10,10.50.0.200,255.255.255.0,24h", "dhcp-option=3,10.50.0.1", "dhcp-option=6,10.50.0.1", "dhcp-option=42,10.50.0.1", "local=/site.example/", "domain=site.example", "expand-hosts"]) {
    expect(dnsmasq.split("\n")).toContain(line);
  }
  expect(dnsmasq).toContain(`addn-hosts=${root}/run/atomicnix/lan-hosts`);
  expect(read("hosts")).toMatch(/^10\.50\.0\.1 atomicnix-525400123456 gw$/m);
  expect(read("chrony").split("\n").filter((l) => l && !l.startsWith("#"))).toEqual(["allow 10.50.0.0/24"]);
  expect(read("networkd")).toMatch(/^\[Network\]\nAddress=10\.50\.0\.1\/24$/m);
  expect(r.files.map((f) => f.file.slice(root.length))).toEqual(["/run/systemd/network/20-lan.network.d/50-provisioned.conf", "/run/dnsmasq.d/lan.conf", "/run/atomicnix/lan-hosts", "/run/chrony.d/lan-allow.conf"]);
});

scenario("lan.apply.idempotent", { targets: ["host"] }, async () => {
  const root = join(dir, "idem");
  const a = join(dir, "a.json");
  const b = join(dir, "b.json");
  writeFileSync(a, JSON.stringify(SITE_SETTINGS));
  writeFileSync(b, JSON.stringify({ ...SITE_SETTINGS, domain: "other.example" }));
  const first = applyLan({ settingsFile: a, root, eth1Mac: MAC });
  expect(first.restarts).toEqual(["systemd-networkd.service", "dnsmasq.service", "chronyd.service"]);
  const mtimes = first.files.map((f) => statSync(f.file, { bigint: true }).mtimeNs);
  await new Promise((r) => setTimeout(r, 20));
  const second = applyLan({ settingsFile: a, root, eth1Mac: MAC });
  expect(second.restarts).toEqual([]);
  expect(second.files.every((f) => !f.changed)).toBe(true);
  expect(second.files.map((f) => statSync(f.file, { bigint: true }).mtimeNs)).toEqual(mtimes);
  const domainOnly = applyLan({ settingsFile: b, root, eth1Mac: MAC });
  expect(domainOnly.restarts).toEqual(["dnsmasq.service"]);

  // 20 runs of the bundled program alternating two files while this process reads every output
  const cli = join(dir, "network.mjs");
  await bundleEsm(join(REPO, "device/network/main.ts"), cli);
  const allowed = new Map<string, Set<string>>();
  for (const s of [a, b]) for (const f of applyLan({ settingsFile: s, root, eth1Mac: MAC }).files) (allowed.get(f.file) ?? allowed.set(f.file, new Set()).get(f.file)!).add(readFileSync(f.file, "utf8"));
  let reads = 0;
  let running = true;
  const reader = (async () => {
    while (running) {
      for (const [file, contents] of allowed) {
        const text = readFileSync(file, "utf8");
        reads++;
        expect(contents.has(text), `torn read of ${file}`).toBe(true);
      }
      await new Promise((r) => setImmediate(r));
    }
  })();
  for (let i = 0; i < 20; i++) {
    const code = await new Promise<number>((res) => spawn(process.execPath, [cli, "lan-apply", "--settings", i % 2 ? a : b, "--root", root, "--mac", MAC], { stdio: "ignore" }).on("exit", (c) => res(c ?? -1)));
    expect(code).toBe(0);
  }
  running = false;
  await reader;
  console.log(`lan-apply: 20 alternating runs of the bundled program, ${reads} concurrent reads, none torn`);
  for (const file of allowed.keys()) expect(readdirSync(dirname(file)).filter((n) => n.endsWith(".tmp"))).toEqual([]);
});
