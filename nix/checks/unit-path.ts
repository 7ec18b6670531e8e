import { unitExecs } from "./commands.js";
import type { Finding } from "./repo.js";

/** NixOS's system path (environment.systemPackages) and Debian's, where the twin's tools live. */
const REQUIRED_PATH_DIRS = ["/run/current-system/sw/bin", "/usr/bin"] as const;

/**
 * A unit file installed from device/units/ gets no NixOS `path`: on NixOS it runs
 * with systemd's default PATH (nixpkgs points it at systemd's own bin directory),
 * on the twin with Debian's. So a unit that finds a program through PATH sets
 * Environment=PATH= naming both images' directories, and runs alike on both.
 */
export function checkUnitPath(unitDir: string): Finding[] {
  const findings: Finding[] = [];
  for (const { unit, env, execs } of unitExecs(unitDir)) {
    for (const e of execs.filter((x) => x.viaPath)) {
      const file = `device/units/${unit}:${e.line}`;
      if (env.PATH === undefined) findings.push({ file, where: e.key, message: `runs ${e.program} through PATH but the unit sets no Environment=PATH=: NixOS would run it with systemd's default PATH (${e.program}: not found) and the twin with Debian's` });
      else for (const d of REQUIRED_PATH_DIRS) if (!env.PATH.split(":").includes(d)) findings.push({ file, where: "Environment=PATH", message: `runs ${e.program} through a PATH without ${d}` });
    }
  }
  return findings;
}
