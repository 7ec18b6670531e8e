// Twin build times: cold (an empty cache: mmdebstrap, runtime, initrd, squashfs,
// image, bundle) and cached (same inputs again). Prints, asserts nothing. Needs root
// and the Debian mirror of the host's apt sources; `npm run bench -- twin` runs it.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";

const repo = join(import.meta.dirname, "..");

function timedBuild(cache: string): number {
  const t0 = Date.now();
  const r = spawnSync("bash", [join(repo, "twin/build.sh")], { cwd: repo, env: { ...process.env, ATOMICNIX_TWIN_CACHE: cache }, stdio: ["ignore", "ignore", "inherit"] });
  if (r.status !== 0) throw new Error(`twin/build.sh failed (exit ${r.status})`);
  return Date.now() - t0;
}

export function twinBuildBench(): void {
  if (process.getuid?.() !== 0) {
    console.log("twin build: skipped (needs root)");
    return;
  }
  // a fresh cache beside the real one (same file system, so the figures are comparable)
  const cache = mkdtempSync("/var/cache/atomicnix/bench-");
  try {
    const cold = timedBuild(cache);
    const cached = timedBuild(cache);
    console.log(`twin build (amd64): cold ${(cold / 1000).toFixed(1)} s, cached ${(cached / 1000).toFixed(1)} s`);
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}
