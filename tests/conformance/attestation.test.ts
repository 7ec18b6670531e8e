/**
 * Signed attestations: a real recorded run (written by the evidence reporter in a
 * child vitest), signed with a fresh SSH key, checked by `conformance verify` and by
 * plain `ssh-keygen -Y verify`, then tampered with in each way a verifier must catch.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, expect } from "vitest";
import { scenario } from "../../conformance/binding.js";
import type { CatalogueScenario } from "../../compiler/corpus/check.js";
import { computeCoverage, gate } from "../../conformance/coverage/coverage.js";
import type { WaiverSet } from "../../conformance/coverage/waivers.js";
import { attachAttestations, signRun, SIGNATURE_NAMESPACE, TEST_RESULT_TYPE, type Statement } from "../../conformance/results/attestation.js";
import { readRuns, type RecordedRun } from "../../conformance/results/store.js";
import { REPO } from "../helpers/spec-fixtures.js";

const onHost = { targets: ["host"], timeout: 120_000 } as const;
const CLI = join(REPO, "bin", "atomicnix.js");
const IMAGE = "sha256:" + "ab".repeat(32);
let work = "";
let evidence = "";
let signers = "";
let foreignKey = "";
let benchKey = "";
let revision = "";

function keypair(name: string): string {
  const key = join(work, name);
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", key]);
  return key;
}

/** A real run of the conformance-run fixture, recorded by the evidence reporter, made to look like a bench run. */
function recordRun(dir: string): RecordedRun {
  spawnSync(process.execPath, [join(REPO, "node_modules", "vitest", "vitest.mjs"), "run", "--config", "tests/fixtures/conformance-run/vitest.config.ts", "-t", "spec.ids.missing"], {
    cwd: REPO,
    encoding: "utf8",
    env: { ...process.env, ATOMICNIX_EVIDENCE: dir, ATOMICNIX_TARGET: "host", ATOMICNIX_IMAGE_HASH: IMAGE },
  });
  const [run] = readRuns(dir);
  if (!run) throw new Error(`no run recorded under ${dir}`);
  return run;
}

const verify = (file: string, extra: string[] = []) => spawnSync(process.execPath, [CLI, "conformance", "verify", file, "--allowed-signers", signers, "--identity", "bench@lab", "--revision", revision, ...extra], { cwd: REPO, encoding: "utf8" });

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "atomicnix-attest-"));
  evidence = join(work, "evidence");
  const key = keypair("bench");
  benchKey = key;
  foreignKey = keypair("foreign");
  signers = join(work, "allowed_signers");
  writeFileSync(signers, `bench@lab namespaces="${SIGNATURE_NAMESPACE}" ${readFileSync(`${key}.pub`, "utf8")}`);
  const run = recordRun(evidence);
  revision = run.start.meta.revision!;
  // the fixture run is a host run whose tree may be dirty; an attestation of it must say so, so sign a clean copy
  const events = join(run.dir, "events.ndjson");
  writeFileSync(events, readFileSync(events, "utf8").replace('"dirty":true', '"dirty":false'));
  signRun(readRuns(evidence)[0]!, key);
}, 120_000);

const attestation = () => join(evidence, "runs", readdirSync(join(evidence, "runs"))[0]!, "attestation.intoto.json");

scenario("conf.attest.verify", onHost, () => {
  const file = attestation();
  const ok = verify(file);
  expect(ok.stderr).toBe("");
  expect(ok.stdout).toMatch(/verified \(signature by .*, commit [0-9a-f]{40}, 1 passed\)/);
  expect(ok.status).toBe(0);
  // the same check with OpenSSH alone, as an assessor would run it
  const plain = spawnSync("ssh-keygen", ["-Y", "verify", "-f", signers, "-I", "bench@lab", "-n", SIGNATURE_NAMESPACE, "-s", `${file}.sig`], { input: readFileSync(file), encoding: "utf8" });
  expect(plain.status, plain.stderr).toBe(0);
  expect(plain.stdout + plain.stderr).toMatch(/Good "atomicnix-evidence" signature for bench@lab/);
  const statement = JSON.parse(readFileSync(file, "utf8")) as Statement;
  expect(statement._type).toBe("https://in-toto.io/Statement/v1");
  expect(statement.predicateType).toBe(TEST_RESULT_TYPE);
  expect(statement.subject).toEqual([{ name: "git+commit", digest: { gitCommit: revision } }, { name: "image", digest: { sha256: "ab".repeat(32) } }]);
  expect(statement.predicate).toMatchObject({ result: "WARNED", passedTests: ["spec.ids.missing@host"], failedTests: [] });
});

scenario("conf.attest.tampered", onHost, () => {
  const copy = (name: string) => {
    const dir = join(work, name);
    cpSync(evidence, dir, { recursive: true });
    return join(dir, "runs", readdirSync(join(dir, "runs"))[0]!, "attestation.intoto.json");
  };
  // events edited after signing: the signed digest of events.ndjson no longer matches
  const edited = copy("edited");
  const events = join(edited, "..", "events.ndjson");
  writeFileSync(events, readFileSync(events, "utf8").replace('"state":"skipped"', '"state":"passed"'));
  const e = verify(edited);
  expect(e.status).toBe(1);
  expect(e.stdout).toMatch(/configuration: the digest of .*events\.ndjson \(or junit\.xml, console\.log\) differs from the signed one/);
  // signed by a key that is not an allowed signer
  const foreign = copy("by-foreign-key");
  rmSync(`${foreign}.sig`);
  execFileSync("ssh-keygen", ["-q", "-Y", "sign", "-f", foreignKey, "-n", SIGNATURE_NAMESPACE, foreign]);
  const f = verify(foreign);
  expect(f.status).toBe(1);
  expect(f.stdout).toMatch(/signature: ssh-keygen -Y verify failed for identity "bench@lab"/);
  // judged against another commit
  const other = verify(attestation(), ["--revision", "0".repeat(40)]);
  expect(other.status).toBe(1);
  expect(other.stdout).toMatch(/subject: commit [0-9a-f]{40} is not the current revision 0{40}/);
});

scenario("conf.attest.bench-run", onHost, () => {
  const hw: CatalogueScenario = { id: "hw.demo.board", title: "board", requirement: "hw.demo", capability: "hw", level: "hardware", status: "implemented", planStep: "1.1", steps: [], file: "hw/spec.md", line: 7 };
  const catalogue = { capabilities: [], requirements: [], scenarios: [hw], schemas: [], tables: [], en18031: [] };
  const bindings = [{ scenario: hw.id, targets: ["ssh"], file: "hw.ts", test: "board" }];
  const noWaivers: WaiverSet = { file: "w.toml", waivers: [], problems: [], expired: [] };
  const options = { allowedSigners: signers, identity: "bench@lab", revision };
  // a board run as `conformance run --target ssh` records it, shipped back as evidence
  const bench = (name: string, sign: boolean): RecordedRun[] => {
    const dir = join(work, name);
    const runDir = join(dir, "runs", "20261201T100000Z-bench1");
    mkdirSync(runDir, { recursive: true });
    const meta = { runId: "20261201T100000Z-bench1", revision, dirty: false, target: "ssh", targetInfo: { board: "rock64" }, imageHash: IMAGE, startedAt: "2026-12-01T10:00:00.000Z", host: "bench", node: "v20", ci: false };
    const events = [{ type: "run-start", meta }, { type: "test", runId: meta.runId, scenario: hw.id, targets: ["ssh"], name: "hw.demo.board: board", file: "hw.ts", state: "passed", durationMs: 1200, errors: [] }, { type: "run-end", runId: meta.runId, finishedAt: "2026-12-01T10:01:00.000Z", totals: { tests: 1, passed: 1, failed: 0, skipped: 0 }, unhandledErrors: [] }];
    writeFileSync(join(runDir, "events.ndjson"), events.map((e) => JSON.stringify(e)).join("\n") + "\n");
    if (sign) signRun(readRuns(dir)[0]!, benchKey);
    return readRuns(dir);
  };
  const judge = (list: RecordedRun[]) => {
    attachAttestations(list, options);
    return gate(computeCoverage(catalogue, bindings, list, noWaivers, { revision }), noWaivers, list, { requireBound: true });
  };
  expect(judge(bench("unsigned", false)).failures).toEqual(["hw.demo.board (hw/spec.md:7): not proven: passed on ssh in run 20261201T100000Z-bench1, but that run has no verified attestation; hardware level needs a pass on ssh with a verified attestation"]);
  expect(judge(bench("signed", true))).toEqual({ ok: true, failures: [], warnings: [] });
  // the board's result edited after signing: the attestation fails, and with it the run
  const tampered = bench("tampered", true);
  const events = join(tampered[0]!.dir, "events.ndjson");
  writeFileSync(events, readFileSync(events, "utf8").replace('"durationMs":1200', '"durationMs":1300'));
  const verdict = judge(readRuns(join(work, "tampered")));
  expect(verdict.ok).toBe(false);
  expect(verdict.failures).toEqual([
    expect.stringMatching(/^run 20261201T100000Z-bench1 \(ssh\): attestation .*attestation\.intoto\.json does not verify: configuration: the digest of .*events\.ndjson \(or junit\.xml, console\.log\) differs from the signed one/),
    expect.stringMatching(/^hw\.demo\.board \(hw\/spec\.md:7\): not proven: .*no verified attestation/),
  ]);
});
