import { readFileSync } from "node:fs";
import { walk } from "./nix-ast.js";
import { type Finding, type NixRepo, configurationModules } from "./nix-repo.js";


const WATCHDOG_KEYS = ["RuntimeWatchdogSec", "RebootWatchdogSec", "RuntimeWatchdogPreSec", "KExecWatchdogSec"];

export function checkWatchdogUnset(repo: NixRepo): Finding[] {
  const findings: Finding[] = [];
  const { files } = configurationModules(repo, "rock64");
  for (const file of files) {
    walk(repo.parse(file), (n, p) => {
      const last = p[p.length - 1];
      if (last && WATCHDOG_KEYS.includes(last)) findings.push({ file, where: p.join("."), message: `${last} is set; the current release leaves it unset (wdog.unset)` });
      if (p.join(".").match(/systemd\.watchdog\.(runtimeTime|rebootTime|kexecTime|device)$/)) findings.push({ file, where: p.join("."), message: "systemd.watchdog options arm PID 1's watchdog; leave them unset" });
      if (n.k === "str" && WATCHDOG_KEYS.some((k) => new RegExp(`(^|\\n)\\s*${k}\\s*=`).test(n.v))) findings.push({ file, where: p.join(".") || "(string)", message: "a configuration string sets a watchdog key" });
    });
  }
  // The deferred target stays documented next to the unset settings.
  const text = readFileSync(repo.abs("modules/watchdog.nix"), "utf8");
  const comments = text.split("\n").filter((l) => l.trim().startsWith("#")).join("\n");
  if (!/RuntimeWatchdogSec\s*=\s*"30s"/.test(comments) || !/RebootWatchdogSec\s*=\s*"10min"/.test(comments)) {
    findings.push({ file: "modules/watchdog.nix", where: "(comments)", message: 'the deferred target RuntimeWatchdogSec = "30s" / RebootWatchdogSec = "10min" is not documented in a comment' });
  }
  return findings;
}
