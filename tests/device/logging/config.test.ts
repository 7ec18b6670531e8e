// The logging tiers as shipped: the journald drop-in and the rsyslog configuration
// that the NixOS module (modules/logging.nix) and the twin install unchanged.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { scenario } from "../../../conformance/binding.js";
import { parseIni } from "../../../lib/ini.js";
import { REPO } from "../../helpers/spec-fixtures.js";

const JOURNALD = join(REPO, "device/etc/systemd/journald.conf.d/50-atomicnix.conf");
const RSYSLOG = join(REPO, "device/etc/rsyslog/atomicnix.conf");

scenario("log.journald.config", { targets: ["host"] }, () => {
  const doc = parseIni(readFileSync(JOURNALD, "utf8"), JOURNALD);
  expect(doc.sections.map((s) => s.name)).toEqual(["Journal"]);
  expect(Object.fromEntries(doc.sections[0]!.entries)).toMatchObject({ Storage: "volatile", RuntimeMaxUse: "32M" });
});

/** rsyslog's own validation run (`rsyslogd -N1`) on a configuration file. */
function rsyslogValidates(text: string): { ok: boolean; output: string } {
  const file = join(mkdtempSync(join(tmpdir(), "atomicnix-rsyslog-")), "rsyslog.conf");
  writeFileSync(file, text);
  const r = spawnSync("rsyslogd", ["-N1", "-f", file], { encoding: "utf8" });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

scenario("log.rsyslog.config", { targets: ["host"] }, () => {
  const text = readFileSync(RSYSLOG, "utf8");
  const verdict = rsyslogValidates(text);
  expect(verdict.ok, verdict.output).toBe(true);
  // The validation run can fail, so a pass above means something.
  expect(rsyslogValidates(`${text}\naction(type="omfile" bogus="1")\n`).ok).toBe(false);
  // Statements are parenthesised and may span lines: read each one whole.
  const statements = [...text.replace(/#.*$/gm, "").matchAll(/(module|action)\s*\(([^)]*)\)/g)].map((m) => ({
    kind: m[1],
    params: Object.fromEntries([...m[2]!.matchAll(/([\w.]+)="([^"]*)"/g)].map((p) => [p[1], p[2]])),
  }));
  expect(statements.some((s) => s.kind === "module" && s.params.load === "imjournal")).toBe(true);
  expect(text).not.toMatch(/queue\.filename/i);
  const omfile = statements.filter((s) => s.kind === "action" && s.params.type === "omfile");
  expect(omfile.length).toBeGreaterThan(0);
  for (const a of omfile) {
    expect(a.params.file).toMatch(/^\/data\/logs\/[^/]+\.log$/);
    expect(a.params.asyncWriting).toBe("on");
    expect(Number(a.params.flushInterval)).toBeLessThanOrEqual(30);
  }
});
