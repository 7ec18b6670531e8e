// Spec compiler figures, with the OpenSpec CLI measured in the same run on the same
// inputs. Prints, asserts nothing.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stageAsOpenSpec } from "../compiler/openspec/stage.js";
import { ensureBundle } from "../bin/cli-bundle.js";
import { writeLargeSpec, writeSyntheticCorpus } from "./synthetic-corpus.js";
import { OPENSPEC_SELF } from "../tests/helpers/openspec-corpora.js";

const REPO = join(import.meta.dirname, "..");
const CLI = join(REPO, "bin", "atomicnix.js");
const OPENSPEC = join(REPO, "node_modules", "@fission-ai", "openspec", "bin", "openspec.js");
const TIME = existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;

interface Sample {
  ms: number;
  /** user + system CPU time, when GNU time is there (robust against a busy machine) */
  cpuMs?: number;
  /** peak resident set size in MB, when GNU time is there to tell */
  mb?: number;
  status: number;
}

/** One new process, wall time and peak RSS. */
function measure(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Sample {
  const full = { ...process.env, DO_NOT_TRACK: "1", OPENSPEC_TELEMETRY: "0", CI: "1", ...env };
  const t = performance.now();
  const r = TIME ? spawnSync(TIME, ["-f", "%M %U %S", process.execPath, ...args], { cwd, env: full, encoding: "utf8", maxBuffer: 1 << 30 }) : spawnSync(process.execPath, args, { cwd, env: full, encoding: "utf8", maxBuffer: 1 << 30 });
  const ms = performance.now() - t;
  const m = TIME ? /(\d+) ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr ?? "") : null;
  return { ms, status: r.status ?? -1, ...(m ? { mb: Number(m[1]) / 1024, cpuMs: (Number(m[2]) + Number(m[3])) * 1000 } : {}) };
}

function median(xs: Sample[]): Sample {
  const s = [...xs].sort((a, b) => a.ms - b.ms);
  return s[Math.floor(s.length / 2)]!;
}

const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
const mem = (s: Sample) => (s.mb === undefined ? "" : ` ${s.mb.toFixed(0)} MB`) + (s.cpuMs === undefined ? "" : ` cpu ${fmt(s.cpuMs)}`);

/** Our CLI from a cold start: a new process, an empty parse cache, the README's entry point. */
function oursCold(work: string, args: string[], runs: number): Sample {
  const samples: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    const cache = mkdtempSync(join(work, "cache-"));
    samples.push(measure([CLI, ...args], REPO, { ATOMICNIX_SPEC_CACHE: cache }));
    rmSync(cache, { recursive: true, force: true });
  }
  return median(samples);
}

function openspec(dir: string, runs: number): Sample {
  return median(Array.from({ length: runs }, () => measure([OPENSPEC, "validate", "--all", "--strict", "--json", "--no-interactive"], dir)));
}

export async function specCompilerBench(): Promise<void> {
  await ensureBundle();
  const work = mkdtempSync(join(tmpdir(), "atomicnix-bench-"));
  try {
    console.log("== spec compiler: cold start (new process, empty cache, node bin/atomicnix.js = npx atomicnix), median of 5; OpenSpec 1.13.2 in the same run");
    console.log("(wall time; cpu = user+system time of the process, which a busy shared machine does not inflate)");
    console.log("corpus                         ours                           openspec validate --all --strict   speed-up wall / cpu");
    const rows: { name: string; ours: Sample; theirs: Sample }[] = [];
    const staged = stageAsOpenSpec(join(REPO, "specs"));
    rows.push({ name: "our specs/ (atomicnix rules)", ours: oursCold(work, ["spec", "check", join(REPO, "specs")], 5), theirs: openspec(staged, 5) });
    rows.push({ name: "our specs/ (openspec rules)", ours: oursCold(work, ["spec", "check", join(REPO, "specs"), "--rules", "openspec"], 5), theirs: rows[0]!.theirs });
    rmSync(staged, { recursive: true, force: true });
    if (existsSync(join(OPENSPEC_SELF, "openspec"))) {
      const self = join(work, "openspec-self");
      mkdirSync(self);
      cpSync(join(OPENSPEC_SELF, "openspec"), join(self, "openspec"), { recursive: true });
      rows.push({ name: "openspec-self (openspec rules)", ours: oursCold(work, ["spec", "check", self, "--rules", "openspec"], 5), theirs: openspec(self, 5) });
    } else console.log(`(openspec-self not found at ${OPENSPEC_SELF})`);
    const ratio = (a?: number, b?: number) => (a && b ? `${(a / b).toFixed(1)}x` : "-");
    for (const r of rows) console.log(`${r.name.padEnd(31)}${(fmt(r.ours.ms) + mem(r.ours)).padEnd(31)}${(fmt(r.theirs.ms) + mem(r.theirs)).padEnd(35)}${ratio(r.theirs.ms, r.ours.ms)} / ${ratio(r.theirs.cpuMs, r.ours.cpuMs)}`);
    const warm = median(Array.from({ length: 5 }, () => measure([CLI, "spec", "check"], REPO)));
    console.log(`our specs/, parse cache warm (re-check after an edit elsewhere): ${fmt(warm.ms)}${mem(warm)}`);

    console.log("\n== one spec file growing from 100 KB to 10 MB (spec check, cold; one requirement + one scenario per ~260 bytes)");
    console.log("size       requirements  ours                             ms/MB    openspec");
    for (const bytes of [100_000, 316_000, 1_000_000, 3_160_000, 5_000_000, 10_000_000]) {
      const dir = join(work, `big-${bytes}`);
      const { requirements } = writeLargeSpec(dir, bytes, join(REPO, "specs", "en18031-part1.json"));
      const ours = oursCold(work, ["spec", "check", dir], bytes >= 5_000_000 ? 3 : 3);
      let theirs = "";
      if (bytes === 1_000_000 || bytes === 5_000_000) {
        const os = stageAsOpenSpec(dir);
        const t = openspec(os, 1);
        theirs = `${fmt(t.ms)}${mem(t)}`;
        rmSync(os, { recursive: true, force: true });
      }
      console.log(`${(bytes / 1e6).toFixed(2).padStart(5)} MB ${String(requirements).padStart(13)}  ${(fmt(ours.ms) + mem(ours)).padEnd(32)} ${String(Math.round(ours.ms / (bytes / 1e6))).padStart(6)}   ${theirs}`);
      rmSync(dir, { recursive: true, force: true });
    }

    console.log("\n== synthetic corpora in our layout (spec check, cold)");
    for (const n of [1000, 10000]) {
      const path = join(work, `synthetic-${n}`);
      writeSyntheticCorpus(path, n, join(REPO, "specs", "en18031-part1.json"));
      const ours = oursCold(work, ["spec", "check", path], 3);
      const os = stageAsOpenSpec(path);
      const t = openspec(os, 1);
      rmSync(os, { recursive: true, force: true });
      console.log(`${String(n).padStart(6)} scenarios: ours ${fmt(ours.ms)}${mem(ours)}, openspec ${fmt(t.ms)}${mem(t)} (${(t.ms / ours.ms).toFixed(1)}x)`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await specCompilerBench();
