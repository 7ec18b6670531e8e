import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { parse, UsageError } from "../lib/args.js";
import { VmTarget } from "../conformance/targets/vm/vm.js";
import { locateTwin } from "../twin/locate.js";

/**
 * `atomicnix twin shell [--keep] [--dir DIR] [--wait shell|multi-user] [--arch A]`
 * (specs/operator-tools, op.twin-shell): boots the twin image in QEMU, as a fresh flash
 * or (with --keep) the disk the last --keep session left in DIR, and reads commands:
 * each line runs as root in the guest (through the VM driver's test shell) and prints
 * its output and exit status, as the seed's `e2e:debug` REPL does with
 * `gateway.succeed(...)`. `:console` prints the end of the kernel console log; Ctrl-D
 * or `:quit` powers the VM off. Commands are taken once the guest's shell answers, not
 * after multi-user.target: debugging often starts with a boot that never gets there.
 * Thin over the VM driver's public API (start, powerOn, exec, consoleLog, stop).
 */
export const TWIN_SHELL_USAGE = "twin shell [--keep] [--dir DIR] [--wait shell|multi-user] [--arch amd64|arm64]";

export async function twinShellCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { keep: { type: "boolean", default: false }, dir: { type: "string" }, wait: { type: "string", default: "shell" }, arch: { type: "string" }, help: { type: "boolean", short: "h", default: false } }, 0);
  if (values.help) {
    process.stdout.write(`usage: atomicnix ${TWIN_SHELL_USAGE}\n`);
    return 0;
  }
  const wait = values.wait;
  if (wait !== "shell" && wait !== "multi-user") throw new UsageError(`--wait "${wait}": use shell or multi-user`);
  if (values.dir !== undefined && !values.keep) throw new UsageError("--dir names where --keep keeps the disk; give --keep too");
  const build = locateTwin(values.arch ?? process.env.ATOMICNIX_TWIN_ARCH ?? "amd64");
  if ("missing" in build) throw new UsageError(build.missing);
  if (!build.image) throw new UsageError(`twin ${build.arch} was built with --root-only: it has no disk image to boot`);
  const say = (line: string) => process.stderr.write(`twin: ${line}\n`);
  const keptDir = resolve(values.dir ?? join(process.cwd(), ".cache", "twin-shell", build.arch));
  const workDir = values.keep ? keptDir : mkdtempSync(join(tmpdir(), "atomicnix-twin-shell-"));
  const resume = values.keep && existsSync(join(workDir, "disk.img"));
  mkdirSync(workDir, { recursive: true });
  const vm = new VmTarget({ image: build.image, workDir, imageHash: build.imageSha256, arch: build.arch, log: say });
  try {
    say(resume ? `booting the kept disk in ${workDir}` : `booting a fresh flash of ${build.image}${values.keep ? `; its disk is kept in ${workDir}` : ""}`);
    if (resume) await vm.powerOn(wait);
    else await vm.start(wait);
    say(`${wait === "shell" ? "the guest's shell answers" : "multi-user.target reached"}; type commands (:console, :quit or Ctrl-D)`);
    const rl = createInterface({ input: process.stdin, terminal: process.stdin.isTTY === true, prompt: "twin# " });
    rl.prompt();
    for await (const line of rl) {
      const command = line.trim();
      if (command === ":quit") break;
      if (command === ":console") process.stdout.write(vm.consoleLog().slice(-4000) + "\n");
      else if (command) {
        const r = await vm.exec(command, { timeoutMs: 600_000 });
        process.stdout.write(r.stdout);
        if (r.stderr) process.stderr.write(r.stderr.endsWith("\n") ? r.stderr : `${r.stderr}\n`);
        if (r.code !== 0) say(`exit ${r.code}`);
      }
      rl.prompt();
    }
    rl.close();
    return 0;
  } catch (e) {
    say(`${(e as Error).message}\n${vm.consoleLog().slice(-3000)}`);
    return 1;
  } finally {
    await vm.stop();
    if (!values.keep) rmSync(workDir, { recursive: true, force: true });
  }
}
