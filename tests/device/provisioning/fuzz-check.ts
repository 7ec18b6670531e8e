import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { join } from "node:path";
import { validateConfigText } from "../../../device/provisioning/config.js";
import { importConfig } from "../../../device/provisioning/import.js";
import { validators, type SchemaId } from "../../../generated/validators/index.js";
import type { FuzzInput } from "./fuzz-inputs.js";

/**
 * One fuzz step: validate (plain inputs) and import into `root`, then check the
 * invariants of prov.error-report.robust. Returns a description of the first broken
 * invariant, or undefined. Exceptions are caught by the caller and counted as crashes.
 */
const JSON_FILES: Array<[string, SchemaId]> = [
  ["firewall-inbound.json", "firewall-inbound"],
  ["lan-settings.json", "lan-settings"],
  ["health-required.json", "health-required"],
  ["quadlet-runtime.json", "quadlet-runtime"],
];

/** The state reached through root is one complete generation whose files agree with each other. */
export function checkComplete(root: string, expectConfig?: Uint8Array): string | undefined {
  if (!existsSync(join(root, ".current"))) return existsSync(join(root, "config.toml")) ? "config.toml without .current" : undefined;
  const gen = readlinkSync(join(root, ".current"));
  const gens = readdirSync(join(root, ".generations"));
  if (gens.length !== 1 || `.generations/${gens[0]}` !== gen) return `generations ${gens.join(",")} next to .current -> ${gen}`;
  const text = readFileSync(join(root, "config.toml"));
  if (expectConfig && Buffer.compare(text, Buffer.from(expectConfig)) !== 0) return "config.toml is not the last accepted input";
  const v = validateConfigText(text.toString("utf8"));
  if (!v.ok) return `stored config.toml does not validate: ${JSON.stringify(v.errors[0])}`;
  for (const [f, schema] of JSON_FILES) {
    const value = JSON.parse(readFileSync(join(root, f), "utf8")) as unknown;
    if (!validators[schema](value)) return `${f} does not match ${schema}`;
  }
  if (JSON.stringify(JSON.parse(readFileSync(join(root, "lan-settings.json"), "utf8"))) !== JSON.stringify(v.config.lan)) return "lan-settings.json is not from config.toml";
  if (!statSync(join(root, "files")).isDirectory() || !statSync(join(root, "quadlet")).isDirectory()) return "files/ or quadlet/ missing";
  if (existsSync(join(root, "os-upgrade.json")) !== Boolean(v.config.os_upgrade)) return "os-upgrade.json presence disagrees with config.toml";
  return undefined;
}

export interface StepResult {
  validateMs?: number;
  importMs: number;
  accepted: boolean;
  problem?: string;
}

/** `checkAll` false checks the full state only after accepted imports (a rejection must not move .current, which is always checked). */
export async function fuzzStep(input: FuzzInput, root: string, last: { config?: Uint8Array; current?: string }, checkAll = true): Promise<StepResult> {
  let validateMs: number | undefined;
  const plain = input.bytes.length < 2 || !(input.bytes[0] === 0x1f && input.bytes[1] === 0x8b) && !(input.bytes[0] === 0x28 && input.bytes[1] === 0xb5);
  let problem: string | undefined;
  if (plain) {
    const t0 = performance.now();
    const r = validateConfigText(Buffer.from(input.bytes).toString("utf8"));
    validateMs = performance.now() - t0;
    if (!r.ok && (r.errors.length === 0 || r.errors.some((e) => !e.path || !e.message))) problem = "rejection without a located error";
  }
  const before = existsSync(join(root, ".current")) ? readlinkSync(join(root, ".current")) : undefined;
  const t1 = performance.now();
  const r = await importConfig({ bytes: input.bytes, ...(input.filename ? { filename: input.filename } : {}) }, root);
  const importMs = performance.now() - t1;
  if (r.ok) {
    // The stored config.toml is the input itself for plain imports.
    last.config = plain ? input.bytes : readFileSync(join(root, "config.toml"));
  } else {
    if (r.errors.length === 0 || r.errors.some((e) => !e.path || !e.message)) problem ??= "import rejection without a located error";
    const after = existsSync(join(root, ".current")) ? readlinkSync(join(root, ".current")) : undefined;
    if (after !== before) problem ??= "a rejected import moved .current";
  }
  if (checkAll || r.ok) problem ??= checkComplete(root, last.config);
  return { ...(validateMs !== undefined ? { validateMs } : {}), importMs, accepted: r.ok, ...(problem ? { problem } : {}) };
}
