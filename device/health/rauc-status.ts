import type { CommandRunner } from "../update/runner.js";

/**
 * The booted slot as `rauc status --detailed --output-format=json` reports it, with
 * the install identity the commit record is bound to. Anything short of JSON naming
 * the booted slot is a refusal to confirm (`verify.rauc-status`).
 */
export interface BootedSlot {
  bootname: string;
  slot: string;
  bootStatus: string;
  installedCount: number;
  installedTimestamp: string;
  sha256: string;
}

export type StatusResult = { ok: true; booted: BootedSlot } | { ok: false; problem: string };

export async function readBootedSlot(runner: CommandRunner): Promise<StatusResult> {
  const r = await runner.run("rauc", ["status", "--detailed", "--output-format=json"], { timeoutMs: 30_000 });
  if (r.code !== 0) return { ok: false, problem: `rauc status exited ${r.code}: ${r.stderr.trim().split("\n").pop() ?? ""}` };
  return parseBootedSlot(r.stdout);
}

export function parseBootedSlot(text: string): StatusResult {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { ok: false, problem: `rauc status output is not JSON: ${JSON.stringify(text.trim().slice(0, 60))}` };
  }
  const status = doc as { booted?: unknown; slots?: unknown };
  if (!status || typeof status !== "object" || typeof status.booted !== "string" || status.booted === "") return { ok: false, problem: "rauc status JSON does not name the booted slot" };
  if (!Array.isArray(status.slots)) return { ok: false, problem: "rauc status JSON has no slot list" };
  for (const wrapper of status.slots as Record<string, any>[]) {
    for (const [name, slot] of Object.entries(wrapper ?? {})) {
      if (slot && typeof slot === "object" && slot.bootname === status.booted && (slot.parent === null || slot.parent === undefined)) {
        const ss = slot.slot_status ?? {};
        return {
          ok: true,
          booted: {
            bootname: status.booted,
            slot: name,
            bootStatus: String(slot.boot_status ?? "unknown"),
            installedCount: Number.isInteger(ss.installed?.count) ? ss.installed.count : 0,
            installedTimestamp: typeof ss.installed?.timestamp === "string" ? ss.installed.timestamp : "",
            sha256: typeof ss.checksum?.sha256 === "string" ? ss.checksum.sha256 : "",
          },
        };
      }
    }
  }
  return { ok: false, problem: `rauc status names booted slot "${status.booted}" but lists no slot with that bootname` };
}
