import { environmentOf } from "./unit-file.js";
import { unitExecs } from "./unit-exec.js";
import type { Finding } from "./nix-repo.js";

/** NixOS's system path (environment.systemPackages) and Debian's, where the twin's tools live. */
export const REQUIRED_PATH_DIRS = ["/run/current-system/sw/bin", "/usr/bin"] as const;

/**
 * A unit file installed from device/units/ gets no NixOS `path`: on NixOS it runs
 * with systemd's default PATH, which nixpkgs patches to systemd's own bin
 * directory, while Debian's systemd gives the twin /usr/local/sbin:...:/usr/bin.
 * So a unit that finds a program through PATH must set Environment=PATH= itself,
 * naming both images' directories; then it runs with the same PATH on both.
 */
export function checkUnitPath(unitDir: string): Finding[] {
  const findings: Finding[] = [];
  for (const { unit, entries, execs } of unitExecs(unitDir)) {
    const path = environmentOf(entries).PATH;
    for (const e of execs.filter((x) => x.viaPath)) {
      const file = `device/units/${unit}:${e.line}`;
      if (path === undefined) {
        findings.push({ file, where: e.key, message: `runs ${e.program} through PATH but the unit sets no Environment=PATH=: NixOS would run it with systemd's default PATH (${e.program}: not found) and the twin with Debian's` });
        continue;
      }
      const dirs = path.split(":");
      for (const d of REQUIRED_PATH_DIRS) if (!dirs.includes(d)) findings.push({ file, where: "Environment=PATH", message: `runs ${e.program} through a PATH without ${d}` });
    }
  }
  return findings;
}
