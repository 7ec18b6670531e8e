// Update client + reference server on loopback: poll round-trip latency and bundle
// download throughput (resume-safe download incl. sha256 check). Prints, asserts nothing.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { runUpgrade } from "../device/update/client.js";
import { downloadBundle, type Offer } from "../device/update/download.js";
import { processRunner } from "../device/update/runner.js";
import { startUpdateServer } from "../device/update/server.js";

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function makeBundleWithRauc(dir: string, version: string, payloadBytes: number): boolean {
  const pki = join(dir, "pki");
  mkdirSync(pki, { recursive: true });
  const q = { stdio: "ignore" as const };
  const ok = (r: ReturnType<typeof spawnSync>) => r.status === 0;
  if (!ok(spawnSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", join(pki, "k.pem"), "-out", join(pki, "c.pem"), "-days", "1", "-subj", "/CN=bench", "-addext", "keyUsage=critical,digitalSignature,keyCertSign"], q))) return false;
  const content = join(dir, "content");
  mkdirSync(content, { recursive: true });
  writeFileSync(join(content, "rootfs.img"), randomBytes(payloadBytes));
  writeFileSync(join(content, "manifest.raucm"), `[update]\ncompatible=rock64\nversion=${version}\n\n[bundle]\nformat=verity\n\n[image.rootfs]\nfilename=rootfs.img\n`);
  mkdirSync(join(dir, "bundles"), { recursive: true });
  return ok(spawnSync("rauc", ["bundle", `--cert=${join(pki, "c.pem")}`, `--key=${join(pki, "k.pem")}`, content, join(dir, "bundles", `gw-${version}.raucb`)], q));
}

export async function updateBench(): Promise<void> {
  console.log("\n== update client + reference server (loopback) ==");
  const dir = mkdtempSync(join(tmpdir(), "atomicnix-bench-update-"));
  try {
    const payload = 64 * 1024 * 1024;
    if (!makeBundleWithRauc(dir, "2.0.0", payload)) {
      console.log("skipped: rauc/openssl/mksquashfs not available to build a bundle");
      return;
    }
    const server = await startUpdateServer({ dir: join(dir, "bundles"), port: 0, runner: processRunner(), log: () => {} });
    const runner = processRunner({ rauc: "false", reboot: "false" });
    try {
      const headers = { "X-Device-ID": "525400abcdef", "X-Current-Version": "2.0.0" };
      for (let i = 0; i < 50; i++) await (await fetch(`${server.url}/api/v1/updates/latest`, { headers })).text();
      for (const [label, version] of [["204 (current)", "2.0.0"], ["200 (offer)", "1.0.0"]] as const) {
        const times: number[] = [];
        for (let i = 0; i < 500; i++) {
          const t = performance.now();
          const r = await fetch(`${server.url}/api/v1/updates/latest`, { headers: { ...headers, "X-Current-Version": version } });
          await r.text();
          times.push(performance.now() - t);
        }
        times.sort((a, b) => a - b);
        console.log(`poll round trip ${label.padEnd(14)} median ${percentile(times, 50).toFixed(3)} ms  p99 ${percentile(times, 99).toFixed(3)} ms  (500 requests)`);
      }
      const runs: number[] = [];
      for (let i = 0; i < 100; i++) {
        const t = performance.now();
        await runUpgrade({ serverUrl: server.url, deviceId: "525400abcdef", currentVersion: "2.0.0", bundleDir: join(dir, "data"), runner, log: () => {} });
        runs.push(performance.now() - t);
      }
      runs.sort((a, b) => a - b);
      console.log(`os-upgrade run, no update        median ${percentile(runs, 50).toFixed(3)} ms  p99 ${percentile(runs, 99).toFixed(3)} ms  (100 runs, in-process)`);
      const offer = (await (await fetch(`${server.url}/api/v1/updates/latest`, { headers: { ...headers, "X-Current-Version": "1.0.0" } })).json()) as Offer;
      const size = statSync(join(dir, "bundles", "gw-2.0.0.raucb")).size;
      for (let i = 0; i < 3; i++) {
        const t = performance.now();
        const r = await fetch(offer.bundle_url);
        let n = 0;
        for await (const c of r.body as unknown as AsyncIterable<Uint8Array>) n += c.length;
        const raw = performance.now() - t;
        const t2 = performance.now();
        const dl = await downloadBundle(offer, { dir: join(dir, "dl") });
        const full = performance.now() - t2;
        rmSync(join(dir, "dl"), { recursive: true, force: true });
        console.log(`bundle ${(size / 2 ** 20).toFixed(1)} MiB: raw fetch ${((n / 2 ** 20) / (raw / 1000)).toFixed(0)} MiB/s; download to .part + fsync + sha256 + rename ${dl.ok ? ((size / 2 ** 20) / (full / 1000)).toFixed(0) + " MiB/s" : "failed: " + dl.cause}`);
      }
    } finally {
      await server.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await updateBench();
