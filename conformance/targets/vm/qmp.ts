import { connect, type Socket } from "node:net";
import { sleep } from "../driver.js";

/** One QMP event as QEMU reports it (e.g. WATCHDOG {action: "reset"}, RESET {guest: true, reason: "guest-reset"}). */
export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
  /** host ms when the driver received it */
  at: number;
}

/**
 * A QMP client for what the VM driver needs from the hypervisor: its events (which
 * tell a watchdog reset from a guest reboot or a harness kill) and commands.
 */
export class QmpClient {
  readonly events: QmpEvent[] = [];
  /** called for every event as it arrives (the driver cuts boots at RESET) */
  onEvent: ((e: QmpEvent) => void) | undefined;
  private socket: Socket | undefined;
  private buffer = "";
  private pending: { resolve: (v: unknown) => void; reject: (e: Error) => void }[] = [];

  static async connect(path: string, timeoutMs: number): Promise<QmpClient> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await new Promise<Socket | undefined>((resolve) => {
        const c = connect(path);
        c.once("connect", () => resolve(c));
        c.once("error", () => resolve(undefined));
      });
      if (s) {
        const client = new QmpClient(s);
        await client.execute("qmp_capabilities");
        return client;
      }
      if (Date.now() > deadline) throw new Error(`QMP socket ${path} did not answer within ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      this.buffer += chunk;
      let nl: number;
      while ((nl = this.buffer.indexOf("\n")) >= 0) {
        const line = this.buffer.slice(0, nl).trim();
        this.buffer = this.buffer.slice(nl + 1);
        if (line) this.onMessage(JSON.parse(line) as Record<string, unknown>);
      }
    });
    socket.on("error", () => undefined);
    socket.on("close", () => {
      for (const p of this.pending.splice(0)) p.reject(new Error("QMP connection closed"));
    });
  }

  private onMessage(msg: Record<string, unknown>): void {
    if (typeof msg.event === "string") {
      const e: QmpEvent = { event: msg.event, data: msg.data as Record<string, unknown> | undefined, at: Date.now() };
      this.events.push(e);
      this.onEvent?.(e);
    } else if ("return" in msg || "error" in msg) {
      const p = this.pending.shift();
      if (!p) return;
      if ("error" in msg) p.reject(new Error(`QMP error: ${JSON.stringify(msg.error)}`));
      else p.resolve(msg.return);
    }
    // the greeting ({"QMP": ...}) needs no answer
  }

  execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    if (!this.socket) return Promise.reject(new Error("QMP not connected"));
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.socket!.write(JSON.stringify(args ? { execute: command, arguments: args } : { execute: command }) + "\n");
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }
}
