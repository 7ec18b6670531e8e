import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync, constants } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect } from "vitest";
import { scenario } from "../../conformance/binding.js";

/** atomicnix serial against a socat pty pair: one end is "the adapter", the other "the board". */
const onHost = { targets: ["host"] } as const;
const CLI = join(import.meta.dirname, "..", "..", "bin", "atomicnix.js");
const work = mkdtempSync(join(tmpdir(), "atomicnix-serial-"));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  rmSync(work, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, ok: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function ptyPair(dev: string, board: string): Promise<ChildProcess> {
  const c = spawn("socat", [`pty,raw,echo=0,link=${dev}`, `pty,raw,echo=0,link=${board}`], { stdio: "ignore" });
  children.push(c);
  await until("the pty links", () => existsSync(dev) && existsSync(board));
  return c;
}

async function stop(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null) return;
  const exited = new Promise((r) => c.once("exit", r));
  c.kill("SIGTERM");
  await exited;
}

scenario("op.serial.capture", { ...onHost, timeout: 60_000 }, async () => {
  const dev = join(work, "ttyUSB-cap");
  const board = join(work, "board-cap");
  const log = join(work, "serial.log");
  let socat = await ptyPair(dev, board);
  const serial = spawn(process.execPath, [CLI, "serial", "--device", dev, "--log", log], { stdio: ["ignore", "pipe", "pipe"] });
  children.push(serial);
  let stdout = "";
  let stderr = "";
  serial.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  serial.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  await until("connected", () => stderr.includes("connected to"));
  expect(spawnSync("stty", ["-F", dev, "speed"], { encoding: "utf8" }).stdout.trim()).toBe("1500000");
  writeFileSync(board, "U-Boot 2024.01 (first line)\r\n");
  await until("first line", () => stdout.includes("first line"));
  await stop(socat);
  await until("disconnect noticed", () => stderr.includes("disconnected"));
  socat = await ptyPair(dev, board);
  await until("reconnected", () => stderr.includes("reconnected"));
  writeFileSync(board, "Starting kernel ... (second line)\r\n");
  await until("second line", () => stdout.includes("second line"));
  await stop(serial);
  await stop(socat);
  const text = readFileSync(log, "utf8");
  expect(text.indexOf("first line")).toBeGreaterThan(-1);
  expect(text.indexOf("second line")).toBeGreaterThan(text.indexOf("first line"));
  expect(text).toMatch(/disconnected; reconnecting/);
  expect(text).toMatch(/reconnected to/);
  expect(stdout.indexOf("second line")).toBeGreaterThan(stdout.indexOf("first line"));
});

scenario("op.serial.interactive", { ...onHost, timeout: 60_000 }, async () => {
  const dev = join(work, "ttyUSB-int");
  const board = join(work, "board-int");
  const socat = await ptyPair(dev, board);
  const fd = openSync(board, constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK);
  let received = "";
  const drain = () => {
    const b = Buffer.alloc(4096);
    try {
      for (;;) {
        const n = readSync(fd, b, 0, b.length, null);
        if (n <= 0) break;
        received += b.subarray(0, n).toString();
      }
    } catch {
      // EAGAIN: nothing more for now
    }
    return received;
  };
  // script(1) gives the command a terminal, as an operator's shell would.
  const serial = spawn("script", ["-qfec", `${process.execPath} ${CLI} serial --device ${dev}`, "/dev/null"], { stdio: ["pipe", "pipe", "pipe"] });
  children.push(serial);
  let output = "";
  serial.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  serial.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  await until("interactive session", () => output.includes("Ctrl-] leaves") && output.includes("connected to"));
  serial.stdin!.write("root\r");
  await until("keystrokes at the board", () => drain().includes("root"));
  const exited = new Promise<number | null>((r) => serial.once("exit", (code) => r(code)));
  serial.stdin!.write("\x1d");
  expect(await exited).toBe(0);
  closeSync(fd);
  await stop(socat);
});
