import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import { scenario } from "../../../conformance/binding.js";
import { makeBundle, makePki, type Pki } from "./rauc-system.js";
import { REPO, startServerProcess } from "./server-process.js";

const onHost = { targets: ["host"] } as const;
const CLI = join(REPO, "bin", "atomicnix.js");
const work = mkdtempSync(join(tmpdir(), "atomicnix-update-secure-"));
const bundles = join(work, "bundles");
let pki: Pki;
const servers: Awaited<ReturnType<typeof startServerProcess>>[] = [];

beforeAll(() => {
  pki = makePki(join(work, "pki"));
  const foreign = makePki(join(work, "foreign"));
  mkdirSync(bundles);
  makeBundle(pki, join(bundles, "gw-1.2.0.raucb"), { version: "1.2.0" });
  makeBundle(pki, join(bundles, "pinebook-5.0.raucb"), { version: "5.0", compatible: "pinebook" });
  makeBundle(foreign, join(bundles, "foreign-9.0.raucb"), { version: "9.0" });
}, 60_000);
afterAll(async () => {
  for (const s of servers) await s.stop();
  rmSync(work, { recursive: true, force: true });
});

async function server(args: string[]) {
  const s = await startServerProcess(["--dir", bundles, ...args]);
  servers.push(s);
  return s;
}

/** A poll with a Host header of the client's choosing (fetch does not allow setting it). */
function poll(url: string, host?: string): Promise<{ status: number; json?: { version: string; bundle_url: string } }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const r = request({ host: u.hostname, port: u.port, path: "/api/v1/updates/latest", headers: { "X-Device-ID": "0123456789ab", "X-Current-Version": "1.0", ...(host ? { Host: host } : {}) } }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, ...(body ? { json: JSON.parse(body) } : {}) }));
    });
    r.on("error", reject);
    r.end();
  });
}

scenario("upgrade.update-server-secure.keyring", { ...onHost, timeout: 60_000 }, async () => {
  const r = spawnSync(process.execPath, [CLI, "update-server", "--dir", bundles, "--port", "0"], { encoding: "utf8", timeout: 30_000 });
  expect(r.status).toBe(2);
  expect(r.stderr).toContain("--keyring");
  expect(r.stderr).toContain("--insecure-no-verify");
  const s = await server(["--insecure-no-verify"]);
  expect(s.log.some((l) => /signatures NOT checked/.test(l))).toBe(true);
});

scenario("upgrade.update-server-secure.skipped", { ...onHost, timeout: 60_000 }, async () => {
  const s = await server(["--keyring", pki.ca]);
  const r = await poll(s.url);
  expect(r.status).toBe(200);
  expect(r.json!.version).toBe("1.2.0");
  expect(s.log.some((l) => /foreign-9\.0\.raucb ignored: rauc info failed/.test(l)), s.log.join("\n")).toBe(true);
  expect(s.log.some((l) => /pinebook-5\.0\.raucb ignored: compatible "pinebook" is not "rock64"/.test(l)), s.log.join("\n")).toBe(true);
  const p = await server(["--keyring", pki.ca, "--compatible", "pinebook"]);
  expect((await poll(p.url)).json!.version).toBe("5.0");
});

scenario("upgrade.update-server-secure.public-url", { ...onHost, timeout: 60_000 }, async () => {
  const plain = await server(["--keyring", pki.ca]);
  const a = await poll(plain.url, "evil.example");
  expect(a.json!.bundle_url.startsWith(`${plain.url}/bundles/`), a.json!.bundle_url).toBe(true);
  const pub = await server(["--keyring", pki.ca, "--public-url", "https://updates.example.org/base"]);
  const b = await poll(pub.url, "evil.example");
  expect(b.json!.bundle_url.startsWith("https://updates.example.org/base/bundles/"), b.json!.bundle_url).toBe(true);
  const help = spawnSync(process.execPath, [CLI, "update-server", "--help"], { encoding: "utf8", timeout: 30_000 });
  expect(help.status).toBe(0);
  for (const o of ["--dir", "--keyring", "--insecure-no-verify", "--compatible", "--pin", "--public-url", "--host", "--port", "--json"]) expect(help.stdout).toContain(o);
  const top = spawnSync(process.execPath, [CLI, "--help"], { encoding: "utf8", timeout: 30_000 });
  for (const o of ["--compatible", "--public-url"]) expect(top.stdout).toContain(o);
});
