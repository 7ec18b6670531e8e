import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../../lib/atomic-write.js";
import type { RecordedRun } from "./store.js";

/**
 * Signed attestations of a run: an in-toto Statement v1 with the test-result
 * predicate (in-toto/attestation spec/predicates/test-result.md), signed with an SSH
 * key (`ssh-keygen -Y sign`), so anyone can check it offline with OpenSSH alone:
 *   ssh-keygen -Y verify -f allowed_signers -I IDENTITY -n atomicnix-evidence -s F.sig < F
 */
export const STATEMENT_TYPE = "https://in-toto.io/Statement/v1";
export const TEST_RESULT_TYPE = "https://in-toto.io/attestation/test-result/v0.1";
/** the ssh-keygen signature namespace: a signature made for anything else never verifies here */
export const SIGNATURE_NAMESPACE = "atomicnix-evidence";
export const ATTESTATION_FILE = "attestation.intoto.json";

export interface Digest {
  [algorithm: string]: string;
}

export interface Statement {
  _type: string;
  subject: { name: string; digest: Digest }[];
  predicateType: string;
  predicate: {
    result: "PASSED" | "WARNED" | "FAILED";
    configuration: { name: string; digest: Digest }[];
    url?: string;
    passedTests: string[];
    warnedTests: string[];
    failedTests: string[];
  };
}

const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");
const testName = (scenario: string | null, name: string, target: string) => `${scenario ?? name}@${target}`;

/** The statement for one recorded run: subjects are the commit and the image (and bundle) it tested. */
export function statementFor(run: RecordedRun): Statement {
  const m = run.start.meta;
  if (!m.revision) throw new Error(`run ${m.runId}: no git revision recorded; an attestation needs the commit as its subject`);
  const subject: Statement["subject"] = [{ name: "git+commit", digest: { gitCommit: m.revision } }];
  const image = /^sha256:([0-9a-f]{64})$/.exec(m.imageHash ?? "");
  if (image) subject.push({ name: "image", digest: { sha256: image[1]! } });
  const bundle = m.targetInfo.bundleSha256;
  if (typeof bundle === "string" && /^[0-9a-f]{64}$/.test(bundle)) subject.push({ name: "bundle", digest: { sha256: bundle } });
  const passed = run.tests.filter((t) => t.state === "passed").map((t) => testName(t.scenario, t.name, m.target));
  const failed = run.tests.filter((t) => t.state === "failed").map((t) => testName(t.scenario, t.name, m.target));
  const skipped = run.tests.filter((t) => t.state === "skipped").map((t) => testName(t.scenario, t.name, m.target));
  const broken = !run.finished || run.unhandledErrors.length > 0 || run.moduleErrors.length > 0;
  return {
    _type: STATEMENT_TYPE,
    subject,
    predicateType: TEST_RESULT_TYPE,
    predicate: {
      result: failed.length || broken ? "FAILED" : skipped.length ? "WARNED" : "PASSED",
      // everything the run recorded: its events, the JUnit file and a board's console log
      configuration: ["events.ndjson", "junit.xml", "console.log"].filter((f) => f === "events.ndjson" || existsSync(join(run.dir, f))).map((f) => ({ name: f, digest: { sha256: sha256(readFileSync(join(run.dir, f))) } })),
      url: `evidence/runs/${m.runId}`,
      passedTests: passed,
      // a skipped scenario did not fail, but it proved nothing: the predicate's "warned"
      warnedTests: skipped,
      failedTests: failed,
    },
  };
}

/** Writes `<run>/attestation.intoto.json` and signs it into `.sig` with the SSH private key. */
export function signRun(run: RecordedRun, key: string): { file: string; signature: string } {
  const file = join(run.dir, ATTESTATION_FILE);
  writeFileAtomic(file, JSON.stringify(statementFor(run), null, 2) + "\n");
  // ssh-keygen asks before overwriting a .sig and, without a terminal, keeps the old one and exits 0
  rmSync(`${file}.sig`, { force: true });
  const r = spawnSync("ssh-keygen", ["-q", "-Y", "sign", "-f", key, "-n", SIGNATURE_NAMESPACE, file], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (r.status !== 0 || !existsSync(`${file}.sig`)) throw new Error(`ssh-keygen -Y sign -f ${key} failed (exit ${r.status}): ${r.stderr.trim()}`);
  return { file, signature: `${file}.sig` };
}

export interface VerifyOptions {
  allowedSigners: string;
  identity: string;
  /** the commit the gate judges; null skips the check */
  revision: string | null;
}

export interface VerifyResult {
  ok: boolean;
  problems: string[];
  signer?: string;
  statement?: Statement;
}

/** Checks an attestation's signature, its shape and that its subject and results are those of its run. */
export function verifyAttestation(file: string, options: VerifyOptions, run?: RecordedRun): VerifyResult {
  const problems: string[] = [];
  if (!existsSync(file)) return { ok: false, problems: [`${file}: not found`] };
  if (!existsSync(`${file}.sig`)) return { ok: false, problems: [`${file}.sig: no signature next to the statement`] };
  if (!existsSync(options.allowedSigners)) return { ok: false, problems: [`${options.allowedSigners}: allowed signers file not found`] };
  const data = readFileSync(file);
  const r = spawnSync("ssh-keygen", ["-Y", "verify", "-f", options.allowedSigners, "-I", options.identity, "-n", SIGNATURE_NAMESPACE, "-s", `${file}.sig`], { input: data, encoding: "utf8" });
  if (r.status !== 0) problems.push(`signature: ssh-keygen -Y verify failed for identity "${options.identity}" with ${options.allowedSigners}: ${(r.stderr || r.stdout).trim().split("\n")[0]}`);
  let statement: Statement;
  try {
    statement = JSON.parse(data.toString("utf8")) as Statement;
  } catch (e) {
    return { ok: false, problems: [...problems, `${file}: not JSON: ${(e as Error).message}`] };
  }
  if (statement._type !== STATEMENT_TYPE) problems.push(`_type is "${statement._type}", not ${STATEMENT_TYPE}`);
  if (statement.predicateType !== TEST_RESULT_TYPE) problems.push(`predicateType is "${statement.predicateType}", not ${TEST_RESULT_TYPE}`);
  const commit = statement.subject?.find((s) => s.digest?.gitCommit)?.digest.gitCommit;
  if (!commit) problems.push("subject: no gitCommit digest");
  else if (options.revision && commit !== options.revision) problems.push(`subject: commit ${commit} is not the current revision ${options.revision}`);
  if (statement.predicate?.result === "FAILED") problems.push(`predicate: result FAILED (${statement.predicate.failedTests.length} failed test(s))`);
  if (run) {
    const expected = (() => {
      try {
        return statementFor(run);
      } catch (e) {
        problems.push((e as Error).message);
        return undefined;
      }
    })();
    if (expected) {
      const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
      if (!same(expected.subject, statement.subject)) problems.push(`subject: does not match run ${run.start.meta.runId} (commit, image and bundle digests recorded in its events)`);
      if (!same(expected.predicate.configuration, statement.predicate?.configuration)) problems.push(`configuration: the digest of ${run.dir}/events.ndjson (or junit.xml, console.log) differs from the signed one: the evidence was changed after signing`);
      if (!same([expected.predicate.passedTests, expected.predicate.failedTests], [statement.predicate?.passedTests, statement.predicate?.failedTests])) problems.push("predicate: passed/failed tests differ from the run's events");
    }
    if (run.start.meta.dirty !== false) problems.push(`run ${run.start.meta.runId} ran from a dirty tree`);
    if (!run.finished) problems.push(`run ${run.start.meta.runId} never finished`);
  }
  const signer = /Good "[^"]*" signature for (\S+)/.exec(r.stderr + r.stdout)?.[1];
  return { ok: problems.length === 0, problems, ...(signer ? { signer } : {}), statement };
}

/** Marks each run that ships an attestation with whether it verifies. */
export function attachAttestations(runs: RecordedRun[], options: VerifyOptions): void {
  for (const run of runs) {
    const file = join(run.dir, ATTESTATION_FILE);
    if (!existsSync(file)) continue;
    const v = verifyAttestation(file, options, run);
    run.attestation = { file, verified: v.ok, ...(v.ok ? {} : { problem: v.problems.join("; ") }) };
  }
}
