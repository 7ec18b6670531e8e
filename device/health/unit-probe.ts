import { readFileSync } from "node:fs";
import type { CommandRunner } from "../update/runner.js";

/**
 * Whether a unit is active, plus an identity of its current run so the sustained
 * window can tell "active at every round" from "active at every round but restarted
 * in between" (`verify.sustained.restart`). On the device the probe is systemd; on a
 * host test it is the real processes started in a namespace.
 */
interface UnitState {
  unit: string;
  active: boolean;
  /** systemd ActiveState or a process-level description, for the journal */
  state: string;
  /** changes whenever the unit is (re)started: InvocationID, or pid + start time */
  identity?: string;
}

export interface UnitProbe {
  readonly kind: string;
  state(unit: string): Promise<UnitState>;
}

/** The device's probe: `systemctl is-active` for the state, the InvocationID for restarts. */
export function systemdProbe(runner: CommandRunner): UnitProbe {
  return {
    kind: "systemd",
    async state(unit) {
      const active = await runner.run("systemctl", ["is-active", unit], { timeoutMs: 10_000 });
      const state = active.stdout.trim() || `systemctl exit ${active.code}`;
      const inv = await runner.run("systemctl", ["show", "--property=InvocationID", "--value", unit], { timeoutMs: 10_000 });
      const identity = inv.code === 0 && inv.stdout.trim() ? inv.stdout.trim() : undefined;
      return { unit, active: active.code === 0 && state === "active", state, ...(identity ? { identity } : {}) };
    },
  };
}

export interface ProcessUnit {
  /** pid file the daemon writes */
  pidFile: string;
  /** expected /proc/<pid>/comm, so a recycled pid is not mistaken for the daemon */
  comm?: string;
}

/** Reads /proc/<pid>/stat: command name, state letter and start time (field 22). */
function procStat(pid: number): { comm: string; state: string; start: string } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  const rest = text.slice(close + 2).split(" ");
  return { comm: text.slice(open + 1, close), state: rest[0] ?? "?", start: rest[19] ?? "?" };
}

/** Host-test probe: a unit is active while the process named by its pid file runs. */
export function processProbe(units: Readonly<Record<string, ProcessUnit>>): UnitProbe {
  return {
    kind: "process",
    async state(unit) {
      const spec = units[unit];
      if (!spec) return { unit, active: false, state: "unknown unit (not in the process map)" };
      let pid: number;
      try {
        pid = Number.parseInt(readFileSync(spec.pidFile, "utf8").trim(), 10);
      } catch {
        return { unit, active: false, state: `inactive (no pid file ${spec.pidFile})` };
      }
      const st = Number.isInteger(pid) && pid > 0 ? procStat(pid) : undefined;
      if (!st) return { unit, active: false, state: `inactive (pid ${pid} not running)` };
      if (st.state === "Z" || st.state === "X") return { unit, active: false, state: `failed (pid ${pid} is a zombie)` };
      if (spec.comm && st.comm !== spec.comm) return { unit, active: false, state: `inactive (pid ${pid} is ${st.comm}, not ${spec.comm})` };
      return { unit, active: true, state: "active", identity: `${pid}:${st.start}` };
    },
  };
}
