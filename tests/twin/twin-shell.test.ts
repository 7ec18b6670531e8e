import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect } from "vitest";
import { scenario } from "../../conformance/binding.js";
import { currentTarget } from "../../conformance/targets.js";
import { run } from "../../conformance/targets/driver.js";
import { locateTwin } from "../../twin/locate.js";

// The operator's debugging tool on the twin image itself: two kept sessions, as an
// operator would type them, through the CLI (stdin lines, stdout, exit status). The
// shell answers before /data is mounted (commands are taken early), so each session
// waits for the mount first, as an operator looking at /data would.
const dir = mkdtempSync(join(tmpdir(), "atomicnix-twin-shell-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = join(import.meta.dirname, "../../bin/atomicnix.js");
const session = (input: string) => run(["node", cli, "twin", "shell", "--keep", "--dir", dir], { input, timeoutMs: 420_000 });

scenario("op.twin-shell.keep", { targets: ["vm"], timeout: 900_000 }, async ({ context }) => {
  if (currentTarget() !== "vm") context.skip("boots the QEMU twin: runs with ATOMICNIX_TARGET=vm");
  const build = locateTwin();
  if ("missing" in build) throw new Error(build.missing);
  const value = randomBytes(12).toString("hex");
  const first = await session(`until mountpoint -q /data; do sleep 1; done; printf %s ${value} > /data/twin-shell-probe && sync\nexit 3\n:quit\n`);
  expect(first.code, first.stderr).toBe(0);
  expect(first.stderr).toMatch(/booting a fresh flash of .*; its disk is kept in /);
  expect(first.stderr).toMatch(/twin: exit 3\n/);
  expect(existsSync(join(dir, "disk.img")), "the kept disk after the first session").toBe(true);
  const second = await session("until mountpoint -q /data; do sleep 1; done; cat /data/twin-shell-probe\n");
  expect(second.code, second.stderr).toBe(0);
  expect(second.stderr).toContain(`booting the kept disk in ${dir}`);
  expect(second.stdout).toContain(value);
  expect(existsSync(join(dir, "disk.img")), "the kept disk after the second session").toBe(true);
});
