import { spawn } from "node:child_process";
import { copyFileSync, existsSync, readdirSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { EXIT, parse, printJson, UsageError } from "../../lib/args.js";
import { SCENARIOS, type ScenarioInfo } from "../../generated/scenarios.js";
import { LEVELS } from "../../lib/levels.js";
import type { CollectedBinding } from "../binding.js";
import { collectBindings } from "../coverage/bindings.js";
import type { TestEvent } from "../results/events.js";
import { evidenceDir, readRuns } from "../results/store.js";
import { isTargetKind, TARGET_KINDS } from "../targets.js";
import { parseConsole, parsePort, sshOptionsToEnv } from "../targets/ssh/env.js";
import { SshTarget, type SshOptions } from "../targets/ssh/ssh.js";

const OPTIONS = {
  target: { type: "string" },
  host: { type: "string" },
  port: { type: "string" },
  user: { type: "string" },
  key: { type: "string" },
  "power-cmd": { type: "string" },
  console: { type: "string" },
  "root-prefix": { type: "string" },
  scenario: { type: "string", multiple: true },
  level: { type: "string", multiple: true },
  out: { type: "string" },
  sign: { type: "string" },
  json: { type: "boolean" },
} as const;

const SSH_ONLY = ["host", "port", "user", "key", "power-cmd", "console", "root-prefix"] as const;

type Values = ReturnType<typeof parse<typeof OPTIONS>>["values"];

function sshOptions(values: Values): SshOptions {
  if (!values.host) throw new UsageError("--target ssh needs --host");
  const port = values.port === undefined ? 22 : usage(() => parsePort(values.port!, "--port"));
  if (values.key !== undefined && !existsSync(values.key)) throw new UsageError(`--key ${values.key}: no such file`);
  return {
    host: values.host,
    port,
    user: values.user ?? "admin",
    ...(values.key ? { key: resolve(values.key) } : {}),
    ...(values["power-cmd"] ? { powerCmd: values["power-cmd"] } : {}),
    ...(values["root-prefix"] ? { rootPrefix: values["root-prefix"] } : {}),
    ...(values.console ? { console: usage(() => parseConsole(values.console!), "--console") } : {}),
  };
}

function usage<T>(f: () => T, option?: string): T {
  try {
    return f();
  } catch (e) {
    throw new UsageError(option ? `${option}: ${(e as Error).message}` : (e as Error).message);
  }
}

/** The bindings of `target` narrowed to the requested scenarios and levels; unknown or unbound IDs are usage errors. */
export function checkSelection(scenarios: string[] | undefined, levels: string[] | undefined): void {
  const catalogue = SCENARIOS as Readonly<Record<string, ScenarioInfo>>;
  for (const l of levels ?? []) if (!(LEVELS as readonly string[]).includes(l)) throw new UsageError(`--level "${l}" is not one of ${LEVELS.join(", ")}`);
  for (const id of scenarios ?? []) if (!catalogue[id]) throw new UsageError(`--scenario "${id}" is not a scenario ID of the catalogue`);
}

export function selectBindings(bindings: CollectedBinding[], target: string, scenarios: string[] | undefined, levels: string[] | undefined): CollectedBinding[] {
  const catalogue = SCENARIOS as Readonly<Record<string, ScenarioInfo>>;
  checkSelection(scenarios, levels);
  const onTarget = bindings.filter((b) => b.targets.includes(target));
  for (const id of scenarios ?? []) {
    if (!onTarget.some((b) => b.scenario === id)) throw new UsageError(`--scenario "${id}" has no binding for target ${target}`);
  }
  return onTarget.filter((b) => (!scenarios || scenarios.includes(b.scenario)) && (!levels || levels.includes(catalogue[b.scenario]!.level)));
}

function shown(path: string): string {
  const r = relative(process.cwd(), path);
  return r && !r.startsWith("..") ? r : path;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** vitest under the conformance environment, its output passed through. */
function vitest(args: string[], env: NodeJS.ProcessEnv, json: boolean): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    // with --json our stdout carries only the JSON document
    const child = spawn(process.execPath, [join(process.cwd(), "node_modules", "vitest", "vitest.mjs"), ...args], { stdio: ["ignore", json ? 2 : "inherit", "inherit"], env });
    child.on("error", reject);
    child.on("close", (code) => resolvePromise(code ?? 1));
  });
}

/** The parent's environment without a surrounding vitest's worker variables (a run inside a test). */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("VITEST") && k !== "TEST" && k !== "NODE_ENV"));
}

interface LevelRow {
  level: string;
  selected: number;
  passed: number;
  failed: number;
  skipped: number;
}

function levelSummary(tests: TestEvent[], selected: CollectedBinding[]): LevelRow[] {
  const catalogue = SCENARIOS as Readonly<Record<string, ScenarioInfo>>;
  return LEVELS.map((level) => {
    const mine = tests.filter((t) => t.scenario && catalogue[t.scenario]?.level === level);
    return {
      level,
      selected: new Set(selected.filter((b) => catalogue[b.scenario]?.level === level).map((b) => b.scenario)).size,
      passed: mine.filter((t) => t.state === "passed").length,
      failed: mine.filter((t) => t.state === "failed").length,
      skipped: mine.filter((t) => t.state === "skipped").length,
    };
  }).filter((r) => r.selected > 0);
}

/** The twin suites have their own runner (build, then both targets); it takes no selection. */
async function runTwin(target: "container" | "vm", values: Values): Promise<number> {
  for (const option of [...SSH_ONLY, "scenario", "level", "sign"] as const) {
    if (values[option] !== undefined) throw new UsageError(`--${option} does not apply to --target ${target} (it runs twin/run-suite.ts, the whole twin suite)`);
  }
  const env = { ...cleanEnv(), ...(values.out ? { ATOMICNIX_EVIDENCE: resolve(values.out) } : {}) };
  return new Promise((resolvePromise, reject) => {
    const child = spawn("npx", ["tsx", "twin/run-suite.ts", target === "vm" ? "--vm-only" : "--container-only"], { stdio: "inherit", env });
    child.on("error", reject);
    child.on("close", (code) => resolvePromise(code === 0 ? EXIT.ok : EXIT.findings));
  });
}

/**
 * `conformance run --target ssh --host H ...`: describes the device, runs vitest on
 * the test files holding ssh bindings (narrowed to --scenario/--level) with the
 * device in ATOMICNIX_SSH_*, and prints the per-level result and the evidence folder.
 * The serial console (if any) is recorded by this process for the whole run and
 * copied into the evidence folder; the test processes do not open it.
 */
export async function runCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, OPTIONS, 0);
  const target = values.target;
  if (!target) throw new UsageError(`--target is required (ssh, container or vm)`);
  if (!isTargetKind(target)) throw new UsageError(`--target "${target}" is not one of ${TARGET_KINDS.join(", ")}`);
  if (target === "container" || target === "vm") return runTwin(target, values);
  if (target !== "ssh") throw new UsageError(`--target ${target}: conformance run drives devices (ssh, container, vm); use npx vitest run for ${target}`);
  const options = sshOptions(values);
  if (values.sign !== undefined && !existsSync(values.sign)) throw new UsageError(`--sign ${values.sign}: no such SSH private key file`);
  // before the bindings are collected (a vitest list of every file): usage errors come fast
  checkSelection(values.scenario, values.level);
  const evidence = values.out ? resolve(values.out) : evidenceDir();

  const selected = selectBindings(collectBindings(), "ssh", values.scenario, values.level);
  if (selected.length === 0) throw new UsageError("no scenario bound to target ssh matches the selection");
  const files = [...new Set(selected.map((b) => b.file))].sort();
  const ids = [...new Set(selected.map((b) => b.scenario))].sort();

  const device = new SshTarget(options);
  try {
    await device.start();
  } catch (e) {
    process.stderr.write(`atomicnix conformance run: device not reachable: ${(e as Error).message}\n`);
    await device.dispose();
    return EXIT.findings;
  }
  const info = device.describe();
  const say = values.json ? process.stderr : process.stdout;
  say.write(`device: ${options.user}@${options.host}:${options.port} ${info.arch} ${info.imageHash ?? ""}${device.privileged ? "" : ` (runs as ${options.user}, not root)`}\n`);
  say.write(`running ${ids.length} scenario(s) in ${files.length} file(s)\n`);

  const before = new Set(existsSync(join(evidence, "runs")) ? readdirSync(join(evidence, "runs")) : []);
  const env: NodeJS.ProcessEnv = {
    ...cleanEnv(),
    ...sshOptionsToEnv({ ...options, console: undefined }),
    ATOMICNIX_TARGET: "ssh",
    ATOMICNIX_EVIDENCE: evidence,
    ATOMICNIX_TARGET_INFO: JSON.stringify(info),
    ...(info.imageHash ? { ATOMICNIX_IMAGE_HASH: info.imageHash } : {}),
  };
  const pattern = `^(${ids.map(escapeRegExp).join("|")}): `;
  let code: number;
  try {
    code = await vitest(["run", ...files, "-t", pattern], env, Boolean(values.json));
  } finally {
    await device.stop();
  }
  const run = readRuns(evidence).find((r) => !before.has(r.dir.split("/").at(-1)!) && r.start.meta.target === "ssh");
  if (run && device.consoleLogPath && existsSync(device.consoleLogPath)) copyFileSync(device.consoleLogPath, join(run.dir, "console.log"));
  await device.dispose();
  if (!run) {
    process.stderr.write(`atomicnix conformance run: vitest (exit ${code}) wrote no evidence under ${evidence}\n`);
    return EXIT.findings;
  }
  // A bench run ships its evidence signed: the gate takes hardware proof only from a run whose attestation verifies.
  const attestation = values.sign ? (await import("../results/attestation.js")).signRun(run, values.sign) : undefined;
  if (attestation) (values.json ? process.stderr : process.stdout).write(`attestation: ${shown(attestation.file)} (verify: npx atomicnix conformance verify ${shown(attestation.file)})\n`);
  const tests = run.tests.filter((t) => t.scenario && ids.includes(t.scenario));
  const rows = levelSummary(tests, selected);
  const passed = tests.filter((t) => t.state === "passed").length;
  const failed = tests.filter((t) => t.state === "failed").length;
  const ok = code === 0 && failed === 0 && passed > 0;
  if (values.json) printJson({ ok, target: "ssh", device: info, evidence: run.dir, levels: rows, tests: tests.map((t) => ({ scenario: t.scenario, state: t.state, file: t.file, ...(t.skipReason ? { skipReason: t.skipReason } : {}) })) });
  else {
    process.stdout.write("level      selected  passed  failed  skipped\n");
    for (const r of rows) process.stdout.write(`${r.level.padEnd(9)} ${String(r.selected).padStart(9)} ${String(r.passed).padStart(7)} ${String(r.failed).padStart(7)} ${String(r.skipped).padStart(8)}\n`);
    for (const t of tests.filter((t) => t.state === "skipped" && t.skipReason)) process.stdout.write(`skipped ${t.scenario}: ${t.skipReason}\n`);
    process.stdout.write(`evidence: ${shown(run.dir)}\n`);
    if (passed === 0 && failed === 0) process.stdout.write("no scenario passed on this device\n");
  }
  return ok ? EXIT.ok : EXIT.findings;
}
