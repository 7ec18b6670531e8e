import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { checkCorpus } from "../compiler/corpus/check.js";
import { generatedFiles } from "../compiler/generate/outputs.js";
import { runOpenSpecIn, stageAsOpenSpec } from "../compiler/openspec/stage.js";
import { buildCliBundle } from "./build-cli.js";
import { writeSyntheticCorpus } from "./synthetic-corpus.js";

const REPO = join(import.meta.dirname, "..");

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(fn: () => void, runs: number): number {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    samples.push(performance.now() - t);
  }
  return median(samples);
}

function fmt(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;
}

export async function specCompilerBench(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), "atomicnix-bench-"));
  try {
    const cli = await buildCliBundle(join(work, "cli"));
    const corpora: { name: string; path: string; scenarios: number }[] = [{ name: "our corpus", path: join(REPO, "specs"), scenarios: checkCorpus(join(REPO, "specs")).totals.scenarios }];
    for (const n of [1000, 2500, 5000, 10000]) {
      const path = join(work, `synthetic-${n}`);
      writeSyntheticCorpus(path, n, join(REPO, "specs", "en18031-part1.json"));
      corpora.push({ name: `synthetic ${n}`, path, scenarios: n });
    }
    console.log("spec check + compile, median of several runs. cold = bundled CLI in a new node process; warm = in-process.");
    console.log("first = no parse cache (every file parsed by remark); cached = parse cache warm (an author's re-check after editing one file is close to this).");
    console.log("corpus            scenarios  cold first  cold cached  warm first  warm cached  warm/1k first   openspec  x(cold cached)  x(warm cached)  x(warm first)");
    const cache = join(work, "cache");
    for (const c of corpora) {
      const out = join(work, "out");
      const run = (env: NodeJS.ProcessEnv) => execFileSync(process.execPath, [cli, "spec", "compile", "--specs", c.path, "--out", out], { stdio: "ignore", env: { ...process.env, ...env } });
      const coldFirst = time(() => run({ ATOMICNIX_SPEC_CACHE: "off" }), c.scenarios > 2500 ? 3 : 5);
      run({ ATOMICNIX_SPEC_CACHE: cache });
      const coldCached = time(() => run({ ATOMICNIX_SPEC_CACHE: cache }), 5);
      rmSync(out, { recursive: true, force: true });
      const inProcess = () => {
        const result = checkCorpus(c.path);
        if (result.totals.errors) throw new Error(`${c.name}: ${result.totals.errors} errors`);
        generatedFiles(result.catalogue);
      };
      process.env.ATOMICNIX_SPEC_CACHE = "off";
      const warmFirst = time(inProcess, c.scenarios > 2500 ? 3 : 5);
      process.env.ATOMICNIX_SPEC_CACHE = cache;
      inProcess();
      const warmCached = time(inProcess, 7);
      const staged = stageAsOpenSpec(c.path);
      const openspec = time(() => {
        const r = runOpenSpecIn(staged);
        if (r.exitCode !== 0) throw new Error(`openspec rejected ${c.name}`);
      }, 3);
      rmSync(staged, { recursive: true, force: true });
      console.log(
        [c.name.padEnd(17), String(c.scenarios).padStart(9), fmt(coldFirst).padStart(11), fmt(coldCached).padStart(12), fmt(warmFirst).padStart(11), fmt(warmCached).padStart(12), fmt((warmFirst / c.scenarios) * 1000).padStart(14), fmt(openspec).padStart(10), `${(openspec / coldCached).toFixed(1)}x`.padStart(15), `${(openspec / warmCached).toFixed(1)}x`.padStart(15), `${(openspec / warmFirst).toFixed(1)}x`.padStart(14)].join(" "),
      );
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
