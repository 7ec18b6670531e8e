import { spawn } from "node:child_process";
import type { TargetKind } from "../targets.js";

/**
 * The common driver interface of the device targets (labgrid-like): the same test
 * body runs on the nspawn twin, the QEMU twin or a board. Each target also says what
 * it is, for the run metadata.
 */
export interface TargetDescription {
  kind: TargetKind;
  arch: string;
  /** sha256 of the image or root the target runs (the twin's cache key for roots) */
  imageHash?: string;
  qemuVersion?: string;
  nspawnVersion?: string;
  [key: string]: unknown;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  timeoutMs?: number;
  input?: string;
}

interface Target {
  start(): Promise<void>;
  /** Orderly shutdown (or teardown); always safe to call twice. */
  stop(): Promise<void>;
  /** Runs `command` with /bin/sh as root on the device. */
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  waitForUnit(unit: string, timeoutMs?: number): Promise<void>;
  waitForPort(port: number, options?: { protocol?: "tcp" | "udp"; timeoutMs?: number }): Promise<void>;
  reboot(): Promise<void>;
  /** Cuts power: the device gets no chance to sync or shut down. */
  powerCut(): Promise<void>;
  describe(): TargetDescription;
}

class CommandFailed extends Error {
  constructor(
    readonly command: string,
    readonly result: ExecResult,
  ) {
    super(`command failed (exit ${result.code}): ${command}\n${result.stderr || result.stdout}`.trimEnd());
  }
}

/** Shared waits on top of `exec`: every target only has to implement exec. */
export abstract class TargetBase implements Target {
  abstract start(): Promise<void>;
  abstract stop(): Promise<void>;
  abstract exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  abstract reboot(): Promise<void>;
  abstract powerCut(): Promise<void>;
  abstract describe(): TargetDescription;

  /** exec that throws unless the command exits 0; returns stdout. */
  async succeed(command: string, options?: ExecOptions): Promise<string> {
    const result = await this.exec(command, options);
    if (result.code !== 0) throw new CommandFailed(command, result);
    return result.stdout;
  }

  async waitUntil(command: string, what: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last: ExecResult | undefined;
    while (Date.now() < deadline) {
      last = await this.exec(command, { timeoutMs: Math.max(1000, deadline - Date.now()) }).catch((e: Error) => ({ code: -1, stdout: "", stderr: e.message }));
      if (last.code === 0) return;
      await sleep(200);
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last.stdout + last.stderr).trim().slice(-500)}` : ""}`);
  }

  /** Waits until the unit is active; fails at once when it failed (like the NixOS test driver). */
  async waitForUnit(unit: string, timeoutMs = 60_000): Promise<void> {
    const u = shellQuote(unit);
    await this.waitUntil(
      `state=$(systemctl show -P ActiveState ${u}); [ "$state" = active ] && exit 0; [ "$state" = failed ] && { echo "unit ${unit} failed"; exit 3; }; exit 1`,
      `unit ${unit}`,
      timeoutMs,
    ).catch(async (e: Error) => {
      const status = await this.exec(`systemctl status --no-pager -n 20 ${u}`).catch(() => undefined);
      throw new Error(`${e.message}\n${status?.stdout ?? ""}`.trimEnd());
    });
  }

  async waitForPort(port: number, options: { protocol?: "tcp" | "udp"; timeoutMs?: number } = {}): Promise<void> {
    const flag = options.protocol === "udp" ? "-uln" : "-tln";
    await this.waitUntil(`ss -H ${flag} "sport = :${port}" | grep -q .`, `${options.protocol ?? "tcp"} port ${port} listening`, options.timeoutMs ?? 30_000);
  }
}

export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Runs a host command (argv, no shell), collecting output; never throws on exit codes. */
export function run(argv: string[], options: ExecOptions & { env?: NodeJS.ProcessEnv } = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ["pipe", "pipe", "pipe"], env: options.env ?? process.env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = options.timeoutMs
      ? setTimeout(() => {
          child.kill("SIGKILL");
          reject(new Error(`timed out after ${options.timeoutMs} ms: ${argv.join(" ")}`));
        }, options.timeoutMs)
      : undefined;
    child.on("error", (e) => {
      if (timer) clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr });
    });
    // A command that exits without reading its input must not crash the runner.
    child.stdin.on("error", () => undefined);
    child.stdin.end(options.input ?? "");
  });
}

/** run() that throws unless the command exits 0. */
export async function must(argv: string[], options: ExecOptions = {}): Promise<string> {
  const r = await run(argv, options);
  if (r.code !== 0) throw new CommandFailed(argv.join(" "), r);
  return r.stdout;
}
