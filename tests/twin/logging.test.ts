import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect } from "vitest";
import { scenario } from "../../conformance/binding.js";
import { sleep } from "../../conformance/targets/driver.js";
import { useContainerTwin } from "./container-fixture.js";

// The two logging tiers on the nspawn twin: the volatile journal and rsyslog's
// buffered appends under /data/logs, observed with strace and the real tools.
// log.update-services.visible is not bound here: os-verification refuses before any
// check when `rauc status` fails, and the nspawn twin has no RAUC slots (the VM has).
const twin = useContainerTwin();
const SLOW = { targets: ["container"] as const, timeout: 180_000 };
const scratch = mkdtempSync(join(tmpdir(), "atomicnix-logging-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const unique = (what: string) => `${what}-${randomBytes(6).toString("hex")}`;

/** /data/logs/*.log lines that contain `text` (the glob is the device's own). */
async function logLines(t: Awaited<ReturnType<typeof twin>>, text: string): Promise<string[]> {
  const r = await t.exec(`grep -hF -- '${text}' /data/logs/*.log`);
  return r.stdout.split("\n").filter(Boolean);
}

scenario("log.rsyslog.service-output", SLOW, async ({ context }) => {
  const t = await twin(context);
  await t.waitForUnit("rsyslog.service");
  const pid = t.hostPid(Number(await t.succeed("systemctl show -P MainPID rsyslog.service")));
  expect(pid, "rsyslogd on the host").toBeDefined();
  // every thread (-f), with each descriptor's path (-y), so writes to /data/logs can be told apart
  const traceFile = join(scratch, "rsyslogd.strace");
  const strace = spawn("strace", ["-f", "-qq", "-y", "-e", "trace=write,writev,pwrite64,pwritev,pwritev2", "-o", traceFile, "-p", String(pid)], { stdio: "ignore" });
  try {
    while (!/^TracerPid:\s+[1-9]/m.test(readFileSync(`/proc/${pid}/status`, "utf8"))) await sleep(20);
    const marker = unique("service-marker");
    const unit = unique("twin-log");
    const flood = unique("flood");
    await t.succeed(`systemd-run --quiet --wait --collect --unit=${unit} sh -c 'echo ${marker}'`);
    await t.succeed(`seq -f '${flood} %05g' 1000 | logger -t twin-flood`);
    await t.waitUntil(`grep -hF -- '${marker}' /data/logs/*.log | grep -qF '${unit}.service'`, "the marker with its unit in /data/logs", 30_000);
    // the buffer's age limit (flushInterval 30) bounds how long the tail of the flood waits
    await t.waitUntil(`[ "$(cat /data/logs/*.log | grep -cF -- '${flood}')" -ge 1000 ]`, "the 1000 lines in /data/logs", 45_000);
    const lines = await logLines(t, flood);
    expect(lines.map((l) => l.split(" ").at(-1)), "each line once, in order").toEqual(Array.from({ length: 1000 }, (_, i) => String(i + 1).padStart(5, "0")));
  } finally {
    strace.kill("SIGINT");
    await new Promise((r) => strace.once("exit", r));
  }
  const writes = readFileSync(traceFile, "utf8").split("\n").filter((l) => /^\d+\s+(write|writev|pwrite64|pwritev2?)\(\d+<\/data\/logs\/[^>]*\.log>/.test(l));
  expect(writes.length, "writes to /data/logs").toBeGreaterThan(0);
  expect(writes.length, writes.join("\n")).toBeLessThanOrEqual(20);
});

scenario("log.shutdown-flush.reboot", SLOW, async ({ context }) => {
  const t = await twin(context);
  await t.waitForUnit("rsyslog.service");
  const marker = unique("reboot-marker");
  // the reboot follows the marker at once, long before rsyslog's buffer age limit
  await t.succeed(`logger -t twin-marker ${marker}`);
  await t.reboot();
  const files = (await t.succeed(`grep -lF -- '${marker}' /data/logs/*.log`)).trim().split("\n");
  expect(files, "files holding the marker").toHaveLength(1);
  const text = await t.succeed(`cat ${files[0]}`);
  const at = text.indexOf(marker);
  const flushLine = text.slice(at).split("\n").find((l) => / logging-shutdown-flush\[\d+\]: flushing logs before shutdown/.test(l));
  expect(flushLine, `a logging-shutdown-flush line after the marker in ${files[0]}`).toBeDefined();
});

scenario("log.journald.flood", { targets: ["container"], timeout: 300_000 }, async ({ context }) => {
  const t = await twin(context);
  await t.waitForUnit("systemd-journald.service");
  const tag = unique("flood");
  // 64 MiB: 67108 lines of 999 characters and a newline (logger's default maximum is 1 KiB)
  await t.succeed(`line=$(head -c 999 /dev/zero | tr '\\0' x); yes "$line" | head -n 67109 | logger -t ${tag}`, { timeoutMs: 120_000 });
  const usage = await t.succeed("journalctl --disk-usage");
  const m = /take up ([\d.]+)([BKMGT])/.exec(usage);
  expect(m, usage).not.toBeNull();
  const bytes = Number(m![1]) * 1024 ** "BKMGT".indexOf(m![2]!);
  expect(bytes, usage).toBeLessThanOrEqual(32 * 1024 * 1024);
  expect(await t.succeed("find /var/log/journal -type f 2>/dev/null; true"), "files under /var/log/journal").toBe("");
  const paths = [...(await t.succeed("journalctl --header")).matchAll(/^\s*File path: (.*)$/gm)].map((p) => p[1]!);
  expect(paths.length).toBeGreaterThan(0);
  for (const p of paths) expect(p.startsWith("/run/log/journal/"), p).toBe(true);
});
