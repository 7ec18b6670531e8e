import { spawnSync } from "node:child_process";
import { appendFileSync, closeSync, constants, existsSync, openSync, readSync, writeSync } from "node:fs";
import { parse, UsageError } from "../lib/args.js";

/**
 * `atomicnix serial [--device D] [--log FILE] [--baud N] [--timeout S]`: the Rock64
 * UART2 console (ttyS2, 1,500,000 baud, 8N1, no flow control) from a USB serial
 * adapter. Everything received goes to stdout and, with --log, is appended to FILE;
 * an unplugged adapter or a reset board is waited for and reopened (the seed's
 * serial:capture). When stdin is a terminal the session is interactive (serial:shell):
 * keys go to the board, Ctrl-] leaves.
 */
export const SERIAL_USAGE = "serial [--device D] [--log FILE] [--baud 1500000] [--timeout SECONDS]";
const CANDIDATES = ["/dev/ttyUSB0", "/dev/ttyACM0", "/dev/ttyUSB1", "/dev/serial0"];
const ESCAPE = 0x1d; // Ctrl-]

function configure(device: string, baud: number): string | undefined {
  const r = spawnSync("stty", ["-F", device, String(baud), "raw", "-echo", "cs8", "-cstopb", "-parenb", "-crtscts", "-ixon", "-ixoff", "clocal"], { encoding: "utf8" });
  return r.status === 0 ? undefined : (r.stderr.trim() || `stty exited ${r.status}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function serialCommand(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    { device: { type: "string" }, log: { type: "string" }, baud: { type: "string", default: "1500000" }, timeout: { type: "string", default: "0" }, help: { type: "boolean", short: "h", default: false } },
    0,
  );
  if (values.help) {
    process.stdout.write(`usage: atomicnix ${SERIAL_USAGE}\n`);
    return 0;
  }
  const baud = Number(values.baud);
  if (!Number.isInteger(baud) || baud <= 0) throw new UsageError(`--baud ${values.baud}: expected a positive integer`);
  const timeout = Number(values.timeout);
  if (!Number.isFinite(timeout) || timeout < 0) throw new UsageError(`--timeout ${values.timeout}: expected seconds (0: until Ctrl-] or SIGINT)`);
  const device = values.device ?? CANDIDATES.find((d) => existsSync(d));
  if (!device) throw new UsageError(`no --device given and none of ${CANDIDATES.join(", ")} exists`);
  const note = (line: string) => {
    process.stderr.write(`serial: ${line}\r\n`);
    if (values.log) appendFileSync(values.log, `\n[serial ${new Date().toISOString()}] ${line}\n`);
  };

  let stopped = false;
  let fd: number | undefined;
  const stop = () => {
    stopped = true;
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  const timer = timeout > 0 ? setTimeout(stop, timeout * 1000) : undefined;

  const interactive = process.stdin.isTTY === true;
  if (interactive) {
    process.stdin.setRawMode(true);
    process.stdin.resume();
    process.stdin.on("data", (d: Buffer) => {
      if (d.includes(ESCAPE)) return stop();
      if (fd !== undefined) {
        try {
          writeSync(fd, d);
        } catch {
          // the adapter went away; the reader notices and reconnects
        }
      }
    });
    note(`interactive on ${device} at ${baud} baud; Ctrl-] leaves`);
  }

  let waiting = false;
  const buf = Buffer.alloc(64 * 1024);
  while (!stopped) {
    if (fd === undefined) {
      if (!existsSync(device)) {
        if (!waiting) note(`waiting for ${device}`);
        waiting = true;
        await sleep(200);
        continue;
      }
      const problem = configure(device, baud);
      if (problem) {
        if (!waiting) note(`cannot configure ${device}: ${problem}; retrying`);
        waiting = true;
        await sleep(500);
        continue;
      }
      try {
        fd = openSync(device, constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK);
      } catch (e) {
        if (!waiting) note(`cannot open ${device}: ${(e as Error).message}; retrying`);
        waiting = true;
        await sleep(500);
        continue;
      }
      note(`${waiting ? "reconnected to" : "connected to"} ${device} at ${baud} baud`);
      waiting = false;
    }
    // Non-blocking reads: a blocked read could not be interrupted by Ctrl-], SIGINT or --timeout.
    let n: number;
    try {
      n = readSync(fd, buf, 0, buf.length, null);
    } catch (e) {
      n = (e as NodeJS.ErrnoException).code === "EAGAIN" ? -2 : -1;
    }
    if (n === -2) {
      await sleep(20);
      continue;
    }
    if (n > 0) {
      const chunk = buf.subarray(0, n);
      process.stdout.write(chunk);
      if (values.log) appendFileSync(values.log, chunk);
      continue;
    }
    // EIO or end of file: the other end is gone (adapter unplugged, pty closed).
    closeSync(fd);
    fd = undefined;
    if (!stopped) note(`${device} disconnected; reconnecting`);
    waiting = true;
    await sleep(200);
  }
  if (timer) clearTimeout(timer);
  if (fd !== undefined) closeSync(fd);
  if (interactive) process.stdin.setRawMode(false);
  process.stdin.pause();
  note("stopped");
  return 0;
}
