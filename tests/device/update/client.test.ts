import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundleEsm } from "../../../device/build.js";
import { afterAll, beforeAll, expect } from "vitest";
import { scenario } from "../../../conformance/binding.js";
import { partName } from "../../../device/update/download.js";
import { startFaultProxy } from "./fault-proxy.js";
import { have, makeBundle, makePki, startRaucSystem, waitFor, type Pki, type RaucSystem } from "./rauc-system.js";
import { REPO, startServerProcess } from "./server-process.js";

/**
 * The real os-upgrade program (bundled by esbuild exactly as for the device, run with
 * plain node) against the real reference update server on loopback, installing real
 * signed bundles with the real `rauc install` into file-backed slots of a `rauc
 * service` on a private D-Bus. Only `reboot` is replaced: by a script that records
 * the call, since rebooting the host is not an option.
 */

const onHost = { targets: ["host"] } as const;
const RUNNING = "25.11.20251201.1";
const NEWER = "25.11.20251215.3";
const OLDER = "25.11.20251115.9";

const work = mkdtempSync(join(tmpdir(), "atomicnix-os-upgrade-"));
const program = join(work, "update.mjs");
const bundleDir = join(work, "data", "config", "bundles");
const configFile = join(work, "data", "config", "os-upgrade.json");
const macFile = join(work, "eth0-address");
const versionFile = join(work, "version");
const rebootLog = join(work, "reboot.log");
const rebootExe = join(work, "bin", "reboot");
const servedNewer = join(work, "served-newer");
const servedOlder = join(work, "served-older");
let pki: Pki;
let rauc: RaucSystem | undefined;
let skipReason = "";
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  for (const tool of ["rauc", "openssl", "dbus-daemon", "mksquashfs"]) if (!have(tool)) skipReason = `${tool} is not installed (scripts/setup.sh installs it)`;
  await bundleEsm(join(REPO, "device", "update", "main.ts"), program);
  if (skipReason) return;
  pki = makePki(join(work, "pki"));
  mkdirSync(servedNewer);
  mkdirSync(servedOlder);
  // plain: this host has no device-mapper for verity installs (see rauc-system.ts)
  makeBundle(pki, join(servedNewer, `gw-${NEWER}.raucb`), { version: NEWER, format: "plain", payload: 512 * 1024 });
  makeBundle(pki, join(servedNewer, `gw-${RUNNING}.raucb`), { version: RUNNING, format: "plain" });
  makeBundle(pki, join(servedOlder, `gw-${OLDER}.raucb`), { version: OLDER, format: "plain", payload: 256 * 1024 });
  mkdirSync(join(work, "bin"));
  writeFileSync(rebootExe, `#!/bin/sh\necho "reboot $*" >> '${rebootLog}'\n`);
  chmodSync(rebootExe, 0o755);
  writeFileSync(macFile, "52:54:00:AB:CD:EF\n");
  writeFileSync(versionFile, RUNNING + "\n");
  rauc = await startRaucSystem(join(work, "rauc"), pki, "A", 1024 * 1024);
  cleanups.push(() => rauc?.stop());
}, 60_000);

afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  rmSync(work, { recursive: true, force: true });
});

function needTools(context: { skip: (note?: string) => void }): void {
  if (skipReason) context.skip(skipReason);
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function runClient(args: string[] = []): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [program, "--config", configFile, "--bundle-dir", bundleDir, "--mac-file", macFile, "--version-file", versionFile, "--commands", `reboot=${rebootExe}`, ...args], {
      env: { ...rauc!.env, OS_UPGRADE_URL: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

function provision(serverUrl: unknown): void {
  mkdirSync(join(work, "data", "config"), { recursive: true });
  writeFileSync(configFile, JSON.stringify({ server_url: serverUrl }));
}

function installedCount(slot: "rootfs.1" = "rootfs.1"): number {
  const st = rauc!.status();
  const entry = (st.json.slots as Record<string, any>[]).find((s) => s[slot])?.[slot];
  return entry?.slot_status?.installed?.count ?? 0;
}
function slotBVersion(): string | undefined {
  const st = rauc!.status();
  return (st.json.slots as Record<string, any>[]).find((s) => s["rootfs.1"])?.["rootfs.1"]?.slot_status?.bundle?.version;
}
const reboots = () => (existsSync(rebootLog) ? readFileSync(rebootLog, "utf8").split("\n").filter(Boolean).length : 0);
const leftovers = () => (existsSync(bundleDir) ? readdirSync(bundleDir) : []);
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** The rootfs image inside a plain bundle is what rauc writes to the slot: compare the slot's first bytes with it. */
function slotHoldsImageOf(bundleVersion: string, dir: string): boolean {
  const content = join(dir, `gw-${bundleVersion}.raucb.content`, "rootfs.img");
  const image = readFileSync(content);
  return readFileSync(rauc!.slotFile("B")).subarray(0, image.length).equals(image);
}

async function server(args: string[]) {
  const s = await startServerProcess(["--keyring", pki.ca, ...args]);
  cleanups.push(() => s.stop());
  return s;
}

/** A peer answering fixed bodies: the server misbehaviours the reference server never shows. */
async function fixedPeer(handler: (path: string) => { status: number; body: string }): Promise<{ url: string; paths: string[] }> {
  const paths: string[] = [];
  const srv: Server = createServer((req, res) => {
    paths.push(req.url ?? "");
    const a = handler(req.url ?? "");
    res.writeHead(a.status, { "Content-Type": "application/json" });
    res.end(a.body);
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
  cleanups.push(() => new Promise<void>((r) => srv.close(() => r())));
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, paths };
}

scenario("upgrade.request.headers", onHost, async ({ context }) => {
  needTools(context);
  const s = await server(["--dir", servedOlder]);
  provision(`${s.url}/`); // trailing slash: still exactly one slash before api/
  const r = await runClient();
  expect(r.code).toBe(0);
  await waitFor(() => s.log.some((l) => l.includes("/api/v1/updates/latest")), 5000, "the poll in the server log");
  const line = s.log.find((l) => l.includes("/api/v1/updates/latest"));
  expect(line).toMatch(/GET \/api\/v1\/updates\/latest 204 /);
  expect(line).toMatch(/device=525400abcdef /);
  expect(line).toMatch(new RegExp(`version=${RUNNING.replace(/\./g, "\\.")} `));
  expect(r.stdout).toMatch(/no update/);
});

scenario("upgrade.server-url.precedence", onHost, async ({ context }) => {
  needTools(context);
  const x = await server(["--dir", servedOlder]);
  const y = await server(["--dir", servedOlder]);
  const polls = (s: { log: string[] }) => s.log.filter((l) => l.includes("/api/v1/updates/latest")).length;
  provision(x.url);
  expect((await runClient(["--server-url", y.url])).code).toBe(0);
  await waitFor(() => polls(x) === 1, 5000, "the poll in X's log");
  expect([polls(x), polls(y)]).toEqual([1, 0]);
  provision(42);
  const second = await runClient(["--server-url", y.url]);
  expect(second.code).toBe(0);
  await waitFor(() => polls(y) === 1, 5000, "the poll in Y's log");
  expect([polls(x), polls(y)]).toEqual([1, 1]);
  expect(second.stdout).toContain(`${configFile}: invalid against schema os-upgrade at /server_url`);
});

scenario("upgrade.no-downgrade.skipped", onHost, async ({ context }) => {
  needTools(context);
  const before = installedCount();
  // a .part from an earlier interrupted run of some other offer: with nothing newer on offer it is dropped
  mkdirSync(bundleDir, { recursive: true });
  writeFileSync(join(bundleDir, "update-25.11.20251210.1-0123456789abcdef.raucb.part"), "partial");
  for (const version of [RUNNING, OLDER, "25.11.20251201.01"]) {
    const peer = await fixedPeer((path) => (path.startsWith("/api/") ? { status: 200, body: JSON.stringify({ version, bundle_url: `http://127.0.0.1:1/never/${version}.raucb` }) } : { status: 404, body: "" }));
    provision(peer.url);
    const r = await runClient();
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`skipped offer ${version.replace(/\./g, "\\.")}: not newer`));
    expect(peer.paths).toEqual(["/api/v1/updates/latest"]);
    if (version === RUNNING) expect(r.stdout).toMatch(/removed leftover .*update-25\.11\.20251210\.1-0123456789abcdef\.raucb\.part: no update is on offer/);
  }
  expect(installedCount()).toBe(before);
  expect(leftovers()).toEqual([]);
  expect(reboots()).toBe(0);
});

scenario("upgrade.no-downgrade.explicit", onHost, async ({ context }) => {
  needTools(context);
  const s = await server(["--dir", servedOlder, "--pin", OLDER]);
  provision(s.url);
  const before = installedCount();
  const rebootsBefore = reboots();
  const r = await runClient();
  expect(r.code, r.stdout + r.stderr).toBe(0);
  expect(r.stdout).toMatch(new RegExp(`explicit downgrade ${RUNNING.replace(/\./g, "\\.")} -> ${OLDER.replace(/\./g, "\\.")}`));
  expect(installedCount()).toBe(before + 1);
  expect(slotBVersion()).toBe(OLDER);
  expect(slotHoldsImageOf(OLDER, servedOlder)).toBe(true);
  expect(rauc!.primary()).toBe("B");
  expect(reboots()).toBe(rebootsBefore + 1);
  expect(leftovers()).toEqual([]);
});

scenario("upgrade.download.success", onHost, async ({ context }) => {
  needTools(context);
  const s = await server(["--dir", servedNewer]);
  provision(s.url);
  const offered = await (await fetch(`${s.url}/api/v1/updates/latest`, { headers: { "X-Device-ID": "525400abcdef", "X-Current-Version": RUNNING } })).json();
  expect(offered.sha256).toBe(sha(readFileSync(join(servedNewer, `gw-${NEWER}.raucb`))));
  const before = installedCount();
  const rebootsBefore = reboots();
  const r = await runClient();
  expect(r.code, r.stdout + r.stderr).toBe(0);
  expect(r.stdout).toMatch(new RegExp(`downloaded ${bundleDir}/update-${NEWER.replace(/\./g, "\\.")}\\.raucb \\(\\d+ bytes, sha256 verified\\)`));
  expect(installedCount()).toBe(before + 1);
  expect(slotBVersion()).toBe(NEWER);
  expect(slotHoldsImageOf(NEWER, servedNewer)).toBe(true);
  expect(rauc!.primary()).toBe("B");
  expect(reboots()).toBe(rebootsBefore + 1);
  expect(leftovers()).toEqual([]);
});

scenario("upgrade.download.integrity", onHost, async ({ context }) => {
  needTools(context);
  const direct = await server(["--dir", servedNewer]);
  const bundleSize = readFileSync(join(servedNewer, `gw-${NEWER}.raucb`)).length;
  let fault: Parameters<typeof startFaultProxy>[1] = () => ({ kind: "cut", afterBodyBytes: Math.floor(bundleSize / 2) });
  const proxy = await startFaultProxy(direct.url, () => fault());
  cleanups.push(() => proxy.close());
  const viaProxy = await server(["--dir", servedNewer, "--public-url", proxy.url]);
  provision(viaProxy.url);
  const before = installedCount();
  const rebootsBefore = reboots();

  const cut = await runClient();
  expect(cut.code).toBe(0);
  expect(cut.stdout).toMatch(/interrupted after \d+ bytes/);
  expect(leftovers().filter((n) => n.endsWith(".raucb"))).toEqual([]);
  rmSync(bundleDir, { recursive: true, force: true }); // this scenario is about a fresh corrupt transfer, not resume

  fault = () => ({ kind: "corrupt", atBodyByte: 1000 });
  const corrupt = await runClient();
  expect(corrupt.code).toBe(0);
  expect(corrupt.stdout).toMatch(/sha256 mismatch/);
  expect(leftovers()).toEqual([]);
  expect(installedCount()).toBe(before);
  expect(reboots()).toBe(rebootsBefore);

  fault = () => ({ kind: "none" });
  const intact = await runClient();
  expect(intact.code, intact.stdout + intact.stderr).toBe(0);
  expect(installedCount()).toBe(before + 1);
  expect(slotBVersion()).toBe(NEWER);
  expect(reboots()).toBe(rebootsBefore + 1);
  expect(leftovers()).toEqual([]);
});

scenario("upgrade.download.resume", onHost, async ({ context }) => {
  needTools(context);
  const direct = await server(["--dir", servedNewer]);
  const file = readFileSync(join(servedNewer, `gw-${NEWER}.raucb`));
  const half = Math.floor(file.length / 2);
  const proxy = await startFaultProxy(direct.url, () => ({ kind: "cut", afterBodyBytes: half }));
  cleanups.push(() => proxy.close());
  const viaProxy = await server(["--dir", servedNewer, "--public-url", proxy.url]);
  const before = installedCount();

  provision(viaProxy.url);
  const first = await runClient();
  expect(first.code).toBe(0);
  const part = join(bundleDir, partName({ version: NEWER, bundle_url: "", sha256: sha(file) }));
  expect(readFileSync(part).equals(file.subarray(0, half))).toBe(true);
  expect(installedCount()).toBe(before);

  provision(direct.url);
  const second = await runClient();
  expect(second.code, second.stdout + second.stderr).toBe(0);
  expect(second.stdout).toContain(`resuming ${part} at byte ${half}`);
  const ranged = new RegExp(`GET /bundles/gw-${NEWER.replace(/\./g, "\\.")}\\.raucb 206 ${file.length - half}B`);
  await waitFor(() => direct.log.some((l) => ranged.test(l)), 5000, `server log line ${ranged}: ${direct.log.join("\n")}`);
  expect(installedCount()).toBe(before + 1);
  expect(leftovers()).toEqual([]);

  // A .part whose bytes are not the offer's is deleted, never installed.
  mkdirSync(bundleDir, { recursive: true });
  writeFileSync(part, Buffer.alloc(half, 0x5a));
  const bogus = await runClient();
  expect(bogus.code).toBe(0);
  expect(bogus.stdout).toMatch(/sha256 mismatch/);
  expect(leftovers()).toEqual([]);
  expect(installedCount()).toBe(before + 1);
});

scenario("upgrade.non-fatal.bad-answers", onHost, async ({ context }) => {
  needTools(context);
  const ref = await server(["--dir", servedNewer]);
  const cases: { url: string; expect: RegExp }[] = [];
  // a closed port: a listener we start and stop, so nothing else can be there by accident
  const tmp = createServer();
  await new Promise<void>((r) => tmp.listen(0, "127.0.0.1", () => r()));
  const freePort = (tmp.address() as AddressInfo).port;
  await new Promise<void>((r) => tmp.close(() => r()));
  cases.push({ url: `http://127.0.0.1:${freePort}`, expect: /poll of .* failed: fetch failed: ECONNREFUSED/ });
  cases.push({ url: (await fixedPeer(() => ({ status: 500, body: "boom" }))).url, expect: /failed: HTTP 500/ });
  cases.push({ url: (await fixedPeer(() => ({ status: 200, body: "not json" }))).url, expect: /body is not JSON/ });
  cases.push({ url: (await fixedPeer(() => ({ status: 200, body: '{"version": "26.1"}' }))).url, expect: /violates update-response at \(root\): must have required property 'bundle_url'/ });
  cases.push({ url: (await fixedPeer(() => ({ status: 200, body: JSON.stringify({ version: "26.1", bundle_url: `${ref.url}/bundles/missing.raucb` }) }))).url, expect: /bundle download from .*missing\.raucb failed: HTTP 404/ });
  const before = installedCount();
  const rebootsBefore = reboots();
  for (const c of cases) {
    provision(c.url);
    const r = await runClient();
    expect(r.code, `${c.url}: ${r.stdout}${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(c.expect);
    expect(leftovers()).toEqual([]);
  }
  expect(installedCount()).toBe(before);
  expect(reboots()).toBe(rebootsBefore);
});

scenario("upgrade.download.install-failure", onHost, async ({ context }) => {
  needTools(context);
  const foreign = makePki(join(work, "foreign-pki"));
  const dir = join(work, "served-foreign");
  mkdirSync(dir, { recursive: true });
  makeBundle(foreign, join(dir, "gw-30.1.raucb"), { version: "30.1", format: "plain" });
  const s = await server(["--dir", dir, "--keyring", foreign.ca]); // the server trusts it; the device does not
  provision(s.url);
  const before = installedCount();
  const rebootsBefore = reboots();
  const r = await runClient();
  expect(r.code).toBe(1);
  expect(r.stdout).toMatch(/downloaded .*update-30\.1\.raucb .*sha256 verified/);
  expect(r.stdout).toMatch(/rauc install .*update-30\.1\.raucb failed with exit code [1-9]\d*: .*; bundle removed, no reboot/);
  expect(installedCount()).toBe(before);
  expect(reboots()).toBe(rebootsBefore);
  expect(leftovers()).toEqual([]);
});
