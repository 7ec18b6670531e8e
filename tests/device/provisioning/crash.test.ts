import { spawnSync } from "node:child_process";
import { cpSync, readdirSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import { scenario } from "../../../conformance/binding.js";
import { buildDevice } from "../../../device/build.js";
import { configText, leftovers, makeKeys, packBundle, scratch, stateTree, writeTree } from "./helpers.js";

/**
 * prov.atomic-commit.kill-points: the bundled on-device importer is SIGKILLed before
 * each of its file-system steps (ATOMICNIX_PROVISION_CRASH_AT), `recover` runs, and
 * the state reached through the root must be exactly S1 or S2.
 */
let dir: string;
let entry: string;
let key: string;

beforeAll(async () => {
  dir = scratch("prov-crash-");
  key = makeKeys(dir).ed25519;
  const outputs = await buildDevice(join(dir, "dist"));
  entry = outputs.find((o) => o.endsWith("provisioning.mjs"))!;
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function prov(args: string[], crashAt?: number) {
  const env = { ...process.env };
  delete env.ATOMICNIX_PROVISION_CRASH_AT;
  if (crashAt !== undefined) env.ATOMICNIX_PROVISION_CRASH_AT = String(crashAt);
  return spawnSync(process.execPath, [entry, ...args], { encoding: "utf8", env });
}

function copyState(from: string, to: string): void {
  rmSync(to, { recursive: true, force: true });
  cpSync(from, to, { recursive: true, verbatimSymlinks: true });
}

scenario("prov.atomic-commit.kill-points", { targets: ["host"], timeout: 180_000 }, async () => {
  // S1: a stored state with files/ and os-upgrade.json, plus an entry of another owner.
  const s1Root = join(dir, "s1", "config");
  const a = join(dir, "a");
  writeTree(a, { "config.toml": configText(key, { osUpgrade: '[os_upgrade]\nserver_url = "https://a.example"' }), "files/a.conf": "A\n", "files/sub/x.bin": "x\n" });
  packBundle(a, ["config.toml", "files"], join(dir, "a.tgz"), "gzip");
  expect(prov(["import", join(dir, "a.tgz"), "--root", s1Root]).status).toBe(0);
  writeFileSync(join(s1Root, "ssh-wan-enabled"), "");
  const S1 = stateTree(s1Root);

  // Inputs producing S2: a bundle replacing files/, and a plain config.toml keeping them.
  const b = join(dir, "b");
  writeTree(b, { "config.toml": configText(key, { firewall: "[firewall.inbound]\ntcp = [8443]" }), "files/b.conf": "B\n", "files/d/e/f.conf": "F\n" });
  packBundle(b, ["config.toml", "files"], join(dir, "b.tzst"), "zstd");
  writeFileSync(join(dir, "c.toml"), configText(key, { lan: '[lan]\ngateway_cidr = "10.9.8.1/24"' }));

  let runs = 0;
  for (const input of [join(dir, "b.tzst"), join(dir, "c.toml")]) {
    const s2Root = join(dir, "s2", "config");
    copyState(s1Root, s2Root);
    expect(prov(["import", input, "--root", s2Root]).status).toBe(0);
    const S2 = stateTree(s2Root);
    expect(S2).not.toEqual(S1);

    const listed = prov(["import", input, "--root", s1Root, "--list-crash-points", "--json"]);
    expect(listed.status, listed.stderr).toBe(0);
    const points = (JSON.parse(listed.stdout) as { points: Array<{ n: number; name: string }> }).points;
    const commit = points.find((p) => p.name === "commit: rename .current")!.n;
    expect(points.length).toBeGreaterThan(commit);
    expect(stateTree(s1Root)).toEqual(S1); // listing ran on a scratch copy

    for (const { n, name } of points) {
      const work = join(dir, "work", "config");
      copyState(s1Root, work);
      const r = prov(["import", input, "--root", work], n);
      expect(r.signal, `point ${n} (${name})`).toBe("SIGKILL");
      expect(prov(["recover", "--root", work]).status).toBe(0);
      expect(stateTree(work), `after kill at ${n} (${name})`).toEqual(n <= commit ? S1 : S2);
      expect(leftovers(work)).toEqual([]);
      const current = readlinkSync(join(work, ".current")).replace(".generations/", "");
      expect(readdirSync(join(work, ".generations"))).toEqual([current]);
      // A later import succeeds and yields S2 again.
      expect(prov(["import", input, "--root", work]).status, `re-import after ${n}`).toBe(0);
      expect(stateTree(work)).toEqual(S2);
      runs++;
    }
  }
  expect(runs).toBeGreaterThan(30);
});
