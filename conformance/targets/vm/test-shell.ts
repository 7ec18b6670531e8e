import { connect, type Socket } from "node:net";
import { sleep, type ExecOptions, type ExecResult } from "../driver.js";

/**
 * The twin's test-driver root shell on the virtio console (hvc0; the guest starts it
 * only with `atomicnix.twin.test-shell=1` on its command line). QEMU keeps the host
 * end of the console socket across guest resets, so one connection serves every boot
 * of a power-on; `newBoot()` marks a reset so a command still waiting for the old
 * boot fails at once instead of timing out.
 */
/** what twin/rootfs/usr/lib/atomicnix/twin/test-shell prints on hvc0 when it starts */
const BANNER = "twin-test-shell: ready";

export class TestShell {
  private socket: Socket | undefined;
  private buffer = "";
  private generation = 0;
  /**
   * The shell's banner arrived since this boot began. Nothing is written before it:
   * lines sent while no shell reads hvc0 pile up in the guest's tty, whose 4 KiB line
   * buffer then drops input (the arm64 first boot takes ~100 s to the shell).
   */
  private started = false;
  private tail = "";
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly path: string,
    /** false once QEMU has exited: no answer can come */
    private readonly alive: () => boolean,
    private readonly context: () => string,
  ) {}

  /** Connects to the socket (once per QEMU process) and waits until a shell answers. */
  async ready(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.socket && Date.now() < deadline) {
      if (!this.alive()) throw new Error(`QEMU exited during boot ${this.context()}`);
      this.socket = await new Promise<Socket | undefined>((resolve) => {
        const c = connect(this.path);
        c.once("connect", () => resolve(c));
        c.once("error", () => resolve(undefined));
      });
      if (this.socket) {
        this.socket.on("data", (d: Buffer) => {
          const text = d.toString("utf8");
          this.buffer += text;
          this.tail = (this.tail + text).slice(-200);
          if (this.tail.includes(BANNER)) this.started = true;
        });
        this.socket.on("error", () => undefined);
      } else await sleep(200);
    }
    if (!this.socket) throw new Error(`virtio console socket ${this.path} never appeared`);
    // after the banner, probe until the shell answers
    while (Date.now() < deadline && this.alive()) {
      if (!this.started) {
        await sleep(200);
        continue;
      }
      const r = await this.exec("true", { timeoutMs: 3000 }).catch(() => undefined);
      if (r?.code === 0) return;
    }
    throw new Error(`test shell on hvc0 did not answer (boot ${this.context()})`);
  }

  /** The guest reset: what runs now belongs to a boot that is gone. */
  newBoot(): void {
    this.generation++;
    this.started = false;
    this.tail = "";
  }

  /** Writes a line to the shell without waiting for anything (e.g. `systemctl reboot`). */
  send(line: string): void {
    this.socket?.write(`${line}\n`);
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  /** Runs a command as root; output is framed by a random marker. */
  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const next = this.queue.then(() => this.execNow(command, options));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async execNow(command: string, options: ExecOptions): Promise<ExecResult> {
    if (!this.socket) throw new Error("VM is not running");
    const generation = this.generation;
    const tag = `__AN_${Math.random().toString(36).slice(2)}__`;
    const b64 = Buffer.from(command).toString("base64");
    const input = options.input !== undefined ? Buffer.from(options.input).toString("base64") : "";
    this.buffer = "";
    const err = `/tmp/${tag}.err`;
    this.socket.write(
      `echo ${b64} | base64 -d > /tmp/${tag}.sh; echo '${input}' | base64 -d > /tmp/${tag}.in; ` +
        `echo ${tag}BEGIN; sh /tmp/${tag}.sh < /tmp/${tag}.in 2>${err}; rc=$?; echo; echo ${tag}ERR; cat ${err}; echo; echo ${tag}END $rc; rm -f /tmp/${tag}.*\n`,
    );
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    const endRe = new RegExp(`${tag}END (\\d+)`);
    while (Date.now() < deadline) {
      const m = endRe.exec(this.buffer);
      if (m) {
        // the last BEGIN/ERR lines: an echoing terminal would repeat the command line first
        const text = this.buffer.replace(/\r\n/g, "\n");
        const end = text.lastIndexOf(`${tag}END`);
        const errAt = text.lastIndexOf(`\n${tag}ERR\n`, end);
        const out = text.slice(text.lastIndexOf(`${tag}BEGIN\n`, errAt) + tag.length + 6, errAt + 1);
        const errText = text.slice(errAt + tag.length + 5, end);
        return { code: Number(m[1]), stdout: out.replace(/\n\n$/, "\n").replace(/^\n$/, ""), stderr: errText.replace(/\n$/, "") };
      }
      if (!this.alive()) throw new Error(`QEMU exited while a command ran: ${command}`);
      if (generation !== this.generation) throw new Error(`the machine reset while a command ran: ${command}`);
      await sleep(50);
    }
    throw new Error(`timed out after ${options.timeoutMs ?? 60_000} ms: ${command}`);
  }
}
