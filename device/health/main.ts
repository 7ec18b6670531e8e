// os-verification: the on-device entry point run by os-verification.service (bundled to dist/device/health.mjs).
import { readFileSync } from "node:fs";
import { parseCommandMap, processRunner } from "../update/runner.js";
import { processProbe, systemdProbe, type ProcessUnit, type UnitProbe } from "./unit-probe.js";
import { runVerification } from "./verify.js";
import { parse } from "../../lib/args.js";

const USAGE = `usage: os-verification [--config-dir DIR] [--commit-record FILE] [--unit-probe systemd|process --process-map FILE]
                       [--commands rauc=PATH,systemctl=PATH,ip=PATH]
  Environment: OS_VERIFICATION_INTERVAL_SEC (default 5), OS_VERIFICATION_WINDOW_SEC (default 60), ATOMICNIX_COMMANDS.
  Exit codes: 0 committed (or already committed), 1 not confirmed, 2 usage error.`;

function log(line: string): void {
  process.stdout.write(`os-verification: ${line}\n`);
}

function seconds(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name}=${JSON.stringify(raw)}: expected a non-negative number of seconds`);
  return v;
}

export async function osVerificationMain(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parse(
      argv,
      {
        "config-dir": { type: "string", default: "/data/config" },
        "commit-record": { type: "string", default: "/data/rauc/commit-record.json" },
        "unit-probe": { type: "string", default: "systemd" },
        "process-map": { type: "string" },
        commands: { type: "string" },
        help: { type: "boolean" },
      },
      0,
    ));
  } catch (e) {
    process.stderr.write(`os-verification: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  try {
    const intervalSec = seconds("OS_VERIFICATION_INTERVAL_SEC", 5);
    const windowSec = seconds("OS_VERIFICATION_WINDOW_SEC", 60);
    if (intervalSec === 0 && windowSec > 0) throw new Error("OS_VERIFICATION_INTERVAL_SEC must be > 0 when the window is not empty");
    const runner = processRunner(parseCommandMap(values.commands ?? process.env.ATOMICNIX_COMMANDS));
    let probe: UnitProbe;
    if (values["unit-probe"] === "systemd") probe = systemdProbe(runner);
    else if (values["unit-probe"] === "process") {
      if (!values["process-map"]) throw new Error("--unit-probe process needs --process-map FILE");
      probe = processProbe(readProcessMap(values["process-map"]));
    } else throw new Error(`--unit-probe ${values["unit-probe"]}: expected systemd or process`);
    const result = await runVerification({ configDir: values["config-dir"], commitRecord: values["commit-record"], runner, probe, intervalSec, windowSec, log });
    return result.exitCode;
  } catch (e) {
    process.stderr.write(`os-verification: ${(e as Error).message}\n`);
    return 2;
  }
}

function readProcessMap(file: string): Record<string, ProcessUnit> {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`${file}: cannot read process map (${(e as Error).message})`);
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) throw new Error(`${file}: expected an object mapping unit names to {"pidFile": ..., "comm": ...}`);
  for (const [unit, v] of Object.entries(doc as Record<string, unknown>)) {
    const spec = v as { pidFile?: unknown; comm?: unknown };
    if (!spec || typeof spec.pidFile !== "string") throw new Error(`${file}: ${unit}.pidFile must be a string`);
    if (spec.comm !== undefined && typeof spec.comm !== "string") throw new Error(`${file}: ${unit}.comm must be a string`);
  }
  return doc as Record<string, ProcessUnit>;
}

process.exitCode = await osVerificationMain(process.argv.slice(2));
