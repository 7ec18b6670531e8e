import { readFileSync } from "node:fs";
import { walk } from "./nix-ast.js";
import { type Finding, type NixRepo, configurationModules } from "./repo.js";

const KEYS = ["RuntimeWatchdogSec", "RebootWatchdogSec", "RuntimeWatchdogPreSec", "KExecWatchdogSec"];

/** No rock64 module sets a PID 1 watchdog key or systemd.watchdog time; the deferred target stays in a comment. */
export function checkWatchdogUnset(repo: NixRepo): Finding[] {
  const findings: Finding[] = [];
  for (const file of configurationModules(repo, "rock64").files) {
    walk(repo.parse(file), (n, p) => {
      const where = p.join(".");
      if (KEYS.includes(p.at(-1) ?? "")) findings.push({ file, where, message: `${p.at(-1)} is set; the current release leaves it unset (wdog.unset)` });
      if (/systemd\.watchdog\.(runtimeTime|rebootTime|kexecTime|device)$/.test(where)) findings.push({ file, where, message: "systemd.watchdog options arm PID 1's watchdog; leave them unset" });
      if (n.k === "str" && KEYS.some((k) => new RegExp(`(^|\\n)\\s*${k}\\s*=`).test(n.v))) findings.push({ file, where: where || "(string)", message: "a configuration string sets a watchdog key" });
    });
  }
  const comments = readFileSync(repo.abs("modules/watchdog.nix"), "utf8").split("\n").filter((l) => l.trim().startsWith("#")).join("\n");
  if (!/RuntimeWatchdogSec\s*=\s*"30s"/.test(comments) || !/RebootWatchdogSec\s*=\s*"10min"/.test(comments)) {
    findings.push({ file: "modules/watchdog.nix", where: "(comments)", message: 'the deferred target RuntimeWatchdogSec = "30s" / RebootWatchdogSec = "10min" is not documented in a comment' });
  }
  return findings;
}
