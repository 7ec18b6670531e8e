import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { afterEach, expect, test } from "vitest";
import { sleep } from "../../conformance/targets/driver.js";
import { SshTarget } from "../../conformance/targets/ssh/ssh.js";

// The ssh target's serial console recorder on a pseudo-terminal (what a USB serial
// adapter is to the host: a tty that stty configures), without a device behind SSH.
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill();
});

/** A pty pair held by python; after a line on its stdin the master side prints `lines` lines (0: a quiet line). */
function pty(lines: number): Promise<{ device: string; go: () => void }> {
  const child = spawn("python3", ["-c", [
    "import os, pty, sys, time",
    "m, s = pty.openpty()",
    "print(os.ttyname(s), flush=True)",
    "sys.stdin.readline()",
    `for i in range(${lines}):`,
    "    time.sleep(0.05); os.write(m, b'DDR Version 1.24 line %d\\r\\n' % i)",
    "sys.stdin.read()",
  ].join("\n")], { stdio: ["pipe", "pipe", "inherit"] });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    createInterface({ input: child.stdout! }).once("line", (l) => resolve({ device: l.trim(), go: () => child.stdin!.write("go\n") }));
  });
}

test("console: stty raw at the baud rate, every byte recorded", async () => {
  const { device, go } = await pty(20);
  const t = new SshTarget({ host: "unused" });
  await t.recordConsole({ device, baud: 115200 });
  go();
  const log = () => (existsSync(t.consoleLogPath!) ? readFileSync(t.consoleLogPath!, "utf8") : "");
  for (let i = 0; i < 100 && !log().includes("line 19\r\n"); i++) await sleep(100);
  await t.stop();
  expect(log().match(/DDR Version 1\.24 line \d+\r\n/g)).toHaveLength(20);
  expect(execFileSync("stty", ["-F", device, "-a"], { encoding: "utf8" })).toMatch(/speed 115200 baud.*\s-echo\s/s);
  await t.dispose();
});

test("console: a quiet line holds nothing open after stop()", async () => {
  const { device } = await pty(0);
  const t = new SshTarget({ host: "unused" });
  const count = () => process.getActiveResourcesInfo().filter((r) => r === "TTYWrap" || r === "FSReqCallback").length;
  const before = count();
  await t.recordConsole({ device, baud: 1500000 });
  await sleep(300);
  expect(count()).toBeGreaterThan(before);
  await t.stop();
  await sleep(50);
  expect(count()).toBe(before);
  await t.dispose();
});

test("console: a device that is not a tty is refused by stty", async () => {
  const t = new SshTarget({ host: "unused" });
  await expect(t.recordConsole({ device: "/dev/null", baud: 115200 })).rejects.toThrow(/console \/dev\/null: stty failed/);
  await t.dispose();
});
