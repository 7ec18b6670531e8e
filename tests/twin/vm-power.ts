import { writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { sleep } from "../../conformance/targets/driver.js";
import type { VmTarget } from "../../conformance/targets/vm/vm.js";

/**
 * A labgrid-style external power switch for the QEMU twin, so the ssh target's power
 * hook can be exercised: `node power.cjs SOCK off|on|cycle` asks this process (which
 * owns the VmTarget) to kill QEMU or start it again. "on" returns once the twin's test
 * shell answers (so the test can still look inside as root); waiting for SSH is the
 * caller's business, as with a real switch.
 *
 * The twin runs QEMU with -no-reboot (its driver plays U-Boot between boots), so a
 * guest-initiated reboot or a watchdog reset ends QEMU; a board would simply boot
 * again. The switch does that too and records it in `resets`.
 */
export interface VmPowerSwitch {
  command: string;
  actions: string[];
  /** boots that ended by the guest's own reboot or the watchdog, restarted by the switch */
  resets: { boot: number; end: string }[];
  close(): Promise<void>;
}

const CLIENT = `const [sock, action] = process.argv.slice(2);
const c = require("net").connect(sock);
let reply = "";
c.on("connect", () => c.write(action + "\\n"));
c.on("data", (d) => (reply += d));
c.on("end", () => { if (reply.startsWith("ok")) process.exit(0); process.stderr.write(reply || "no reply\\n"); process.exit(1); });
c.on("error", (e) => { process.stderr.write(e.message + "\\n"); process.exit(1); });
`;

export async function vmPowerSwitch(vm: VmTarget, dir: string): Promise<VmPowerSwitch> {
  const sock = join(dir, "power.sock");
  const client = join(dir, "power.cjs");
  writeFileSync(client, CLIENT);
  const actions: string[] = [];
  const act = async (action: string): Promise<void> => {
    if (action === "off" || action === "cycle") await vm.cutPower();
    if (action === "on" || action === "cycle") await vm.powerOn("shell");
    if (!["off", "on", "cycle"].includes(action)) throw new Error(`unknown power action "${action}"`);
  };
  const server: Server = createServer((c) => {
    let line = "";
    c.on("data", (d) => {
      line += d.toString();
      if (!line.includes("\n")) return;
      const action = line.trim();
      actions.push(action);
      act(action).then(
        () => c.end("ok\n"),
        (e: Error) => c.end(`error: ${e.message}\n`),
      );
    });
  });
  await new Promise<void>((r) => server.listen(sock, r));
  const resets: VmPowerSwitch["resets"] = [];
  let closed = false;
  const supervise = async (): Promise<void> => {
    while (!closed) {
      const record = await vm.waitForOff(5000).catch(() => undefined);
      if (closed) return;
      if (record && (record.end === "guest-reset" || record.end === "watchdog-reset") && !resets.some((r) => r.boot === record.n)) {
        resets.push({ boot: record.n, end: record.end });
        await vm.powerOn("shell").catch(() => undefined);
      } else await sleep(1000);
    }
  };
  const supervisor = supervise();
  return {
    command: `${process.execPath} ${client} ${sock}`,
    actions,
    resets,
    close: async () => {
      closed = true;
      await supervisor;
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
