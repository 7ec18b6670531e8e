import { spawn } from "node:child_process";

/** Runs one command; the console only ever runs `systemctl restart UNIT`. */
export type CommandRunner = (argv: readonly string[]) => Promise<{ code: number; output: string }>;

/** Order of console.apply: containers first, then the WAN firewall, then the LAN (which may move the console). */
export const APPLY_UNITS = ["quadlet-sync.service", "provisioned-firewall-inbound.service", "lan-gateway-apply.service"] as const;
export const LAN_UNIT = "lan-gateway-apply.service";

/** The real runner: spawns the command, collects at most 8 KiB of its output for the error message. */
export const spawnRunner: CommandRunner = (argv) =>
  new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const take = (b: Buffer) => {
      if (output.length < 8192) output += b.toString("utf8").slice(0, 8192 - output.length);
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    child.on("error", (e) => resolve({ code: 127, output: e.message }));
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });

export interface UnitFailure {
  unit: string;
  code: number;
  output: string;
}

/** Restarts `units` in order, stopping at the first failure. */
export async function restartUnits(run: CommandRunner, units: readonly string[]): Promise<{ applied: string[]; failed?: UnitFailure }> {
  const applied: string[] = [];
  for (const unit of units) {
    const r = await run(["systemctl", "restart", unit]);
    if (r.code !== 0) return { applied, failed: { unit, code: r.code, output: r.output.trim() } };
    applied.push(unit);
  }
  return { applied };
}
