import type { RunMeta } from "./run-meta.js";
import type { TestEvent } from "./events.js";

function esc(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

/** JUnit XML in the common Surefire shape: one testsuite per test file, scenario and target as properties. */
export function junitXml(meta: RunMeta, tests: readonly TestEvent[], finishedAt: string): string {
  const byFile = new Map<string, TestEvent[]>();
  for (const t of tests) byFile.set(t.file, [...(byFile.get(t.file) ?? []), t]);
  const count = (list: readonly TestEvent[], state: string) => list.filter((t) => t.state === state).length;
  const seconds = (ms: number) => (ms / 1000).toFixed(3);
  const lines = [`<?xml version="1.0" encoding="UTF-8"?>`];
  const total = tests.reduce((n, t) => n + t.durationMs, 0);
  lines.push(`<testsuites name="atomicnix conformance ${esc(meta.runId)}" tests="${tests.length}" failures="${count(tests, "failed")}" skipped="${count(tests, "skipped")}" time="${seconds(total)}" timestamp="${esc(meta.startedAt)}">`);
  for (const [file, list] of byFile) {
    lines.push(`  <testsuite name="${esc(file)}" tests="${list.length}" failures="${count(list, "failed")}" skipped="${count(list, "skipped")}" time="${seconds(list.reduce((n, t) => n + t.durationMs, 0))}">`);
    lines.push(`    <properties>`);
    lines.push(`      <property name="target" value="${esc(meta.target)}"/>`);
    lines.push(`      <property name="revision" value="${esc(meta.revision ?? "")}"/>`);
    lines.push(`      <property name="dirty" value="${meta.dirty}"/>`);
    if (meta.imageHash) lines.push(`      <property name="image-hash" value="${esc(meta.imageHash)}"/>`);
    lines.push(`    </properties>`);
    for (const t of list) {
      lines.push(`    <testcase classname="${esc(file)}" name="${esc(t.name)}" time="${seconds(t.durationMs)}">`);
      if (t.scenario) lines.push(`      <properties><property name="scenario" value="${esc(t.scenario)}"/><property name="target" value="${esc(meta.target)}"/></properties>`);
      if (t.state === "failed") {
        const message = t.errors[0]?.split("\n")[0] ?? "failed";
        lines.push(`      <failure message="${esc(message)}">${esc(t.errors.join("\n\n"))}</failure>`);
      }
      if (t.state === "skipped") lines.push(`      <skipped${t.skipReason ? ` message="${esc(t.skipReason)}"` : ""}/>`);
      lines.push(`    </testcase>`);
    }
    lines.push(`  </testsuite>`);
  }
  lines.push(`</testsuites>`, `<!-- finished ${esc(finishedAt)} -->`);
  return lines.join("\n") + "\n";
}
