/**
 * nix/npm-lock-check.nix, the guard in front of importNpmLock, run with the plain
 * nix-instantiate of this host on the committed lock and on an edited copy: it must
 * name exactly the entries nixpkgs could not fetch (no `resolved` or `integrity`).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { repoRoot } from "../../nix/checks/repo.js";

const root = repoRoot();
type Lock = { packages: Record<string, { resolved?: string; integrity?: string; link?: boolean }> };

function check(lockFile: string): { missing: string[]; total: number } {
  const expr = `import ${join(root, "nix/npm-lock-check.nix")} { lock = ${lockFile}; }`;
  const r = spawnSync("nix-instantiate", ["--eval", "--strict", "--json", "-E", expr], { encoding: "utf8", env: { ...process.env, NIX_REMOTE: "" } });
  if (r.status !== 0) throw new Error(`nix-instantiate: ${r.stderr}`);
  return JSON.parse(r.stdout) as { missing: string[]; total: number };
}

test("npm-lock-check names the lock entries importNpmLock cannot fetch", () => {
  const lockFile = join(root, "package-lock.json");
  const lock = JSON.parse(readFileSync(lockFile, "utf8")) as Lock;
  const names = Object.keys(lock.packages).filter((n) => n !== "");
  const unfetchable = names.filter((n) => !lock.packages[n]!.link && !(lock.packages[n]!.resolved && lock.packages[n]!.integrity)).sort();
  const committed = check(lockFile);
  expect(committed.total).toBe(names.length);
  expect([...committed.missing].sort()).toEqual(unfetchable);
  // With URLs recorded (the one-time step of docs/nix.md) nothing is missing ...
  const dir = mkdtempSync(join(tmpdir(), "npm-lock-"));
  for (const n of names) lock.packages[n]!.resolved ??= `https://npm.invalid/${n}.tgz`;
  writeFileSync(join(dir, "resolved.json"), JSON.stringify(lock));
  expect(check(join(dir, "resolved.json")).missing).toEqual([]);
  // ... and one entry without its integrity is named.
  delete lock.packages[names[0]!]!.integrity;
  writeFileSync(join(dir, "one.json"), JSON.stringify(lock));
  expect(check(join(dir, "one.json")).missing).toEqual([names[0]]);
});
