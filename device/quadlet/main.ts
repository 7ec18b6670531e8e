import { execRunner } from "./commands.js";
import { planSync, runSync } from "./sync.js";

/**
 * On-device entry (dist/device/quadlet.mjs), run by quadlet-sync.service:
 *   quadlet sync [--root DIR] [--config DIR] [--json]
 * Exit 0 when every unit started, 1 when any failed (all are named), 2 on usage errors.
 */
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  let root = "/";
  let configDir: string | undefined;
  let json = false;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === "--root" && rest[i + 1]) root = rest[++i]!;
    else if (a === "--config" && rest[i + 1]) configDir = rest[++i]!;
    else if (a === "--json") json = true;
    else return usage(`unknown argument ${a}`);
  }
  if (command !== "sync") return usage(command ? `unknown command ${command}` : "missing command");
  let plan;
  try {
    plan = planSync({ root, ...(configDir ? { configDir } : {}) });
  } catch (e) {
    console.error(`quadlet sync: ${(e as Error).message}`);
    return 1;
  }
  const result = await runSync(plan, root, execRunner);
  const summary = {
    ok: result.ok,
    installed: plan.install.map((f) => f.path),
    removed: plan.remove.map((r) => r.path),
    units: plan.units,
    failed: result.failed,
  };
  if (json) console.log(JSON.stringify(summary));
  else {
    for (const p of summary.installed) console.log(`installed ${p}`);
    for (const p of summary.removed) console.log(`removed ${p}`);
    for (const u of plan.units) console.log(`${u.action} ${u.service} (${u.mode})${result.failed.includes(u.service) ? ": FAILED" : ""}`);
    for (const l of result.log.filter((x) => x.code !== 0)) console.error(`${l.argv.join(" ")}: exit ${l.code}${l.output ? `: ${l.output.trim()}` : ""}`);
    if (!result.ok) console.error(`quadlet sync: failed: ${result.failed.join(", ")}`);
  }
  return result.ok ? 0 : 1;
}

function usage(message: string): number {
  console.error(`quadlet: ${message}\nusage: quadlet sync [--root DIR] [--config DIR] [--json]`);
  return 2;
}

process.exitCode = await main(process.argv.slice(2));
