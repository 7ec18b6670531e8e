import type { SshOptions } from "./ssh.js";

/** Rock64's debug UART runs at 1.5 Mbaud (U-Boot and the kernel console). */
const DEFAULT_CONSOLE_BAUD = 1_500_000;

/** `DEV[:BAUD]`, e.g. `/dev/ttyUSB0:1500000`. */
export function parseConsole(value: string): { device: string; baud: number } {
  const m = /^(.+?)(?::(\d+))?$/.exec(value);
  if (!m || !m[1]!.startsWith("/")) throw new Error(`console "${value}" is not DEV[:BAUD] with an absolute device path`);
  return { device: m[1]!, baud: m[2] ? Number(m[2]) : DEFAULT_CONSOLE_BAUD };
}

export function parsePort(value: string, what: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65535) throw new Error(`${what} "${value}" is not a TCP port`);
  return n;
}

/**
 * The current device of an ssh run, from the environment that `atomicnix conformance
 * run --target ssh` (and the Nix checks) set: ATOMICNIX_SSH_HOST, _PORT, _USER, _KEY,
 * _ROOT_PREFIX, ATOMICNIX_POWER_CMD and ATOMICNIX_CONSOLE (DEV[:BAUD]).
 */
export function sshOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): SshOptions {
  const host = env.ATOMICNIX_SSH_HOST;
  if (!host) throw new Error("ATOMICNIX_TARGET=ssh needs ATOMICNIX_SSH_HOST (and usually ATOMICNIX_SSH_KEY)");
  return {
    host,
    port: env.ATOMICNIX_SSH_PORT ? parsePort(env.ATOMICNIX_SSH_PORT, "ATOMICNIX_SSH_PORT") : 22,
    user: env.ATOMICNIX_SSH_USER || "admin",
    ...(env.ATOMICNIX_SSH_KEY ? { key: env.ATOMICNIX_SSH_KEY } : {}),
    ...(env.ATOMICNIX_SSH_ROOT_PREFIX ? { rootPrefix: env.ATOMICNIX_SSH_ROOT_PREFIX } : {}),
    ...(env.ATOMICNIX_POWER_CMD ? { powerCmd: env.ATOMICNIX_POWER_CMD } : {}),
    ...(env.ATOMICNIX_CONSOLE ? { console: parseConsole(env.ATOMICNIX_CONSOLE) } : {}),
  };
}

/** The same options as environment variables, for a child process (the inverse of sshOptionsFromEnv). */
export function sshOptionsToEnv(o: SshOptions): Record<string, string> {
  return {
    ATOMICNIX_SSH_HOST: o.host,
    ATOMICNIX_SSH_PORT: String(o.port ?? 22),
    ATOMICNIX_SSH_USER: o.user ?? "admin",
    ...(o.key ? { ATOMICNIX_SSH_KEY: o.key } : {}),
    ...(o.rootPrefix ? { ATOMICNIX_SSH_ROOT_PREFIX: o.rootPrefix } : {}),
    ...(o.powerCmd ? { ATOMICNIX_POWER_CMD: o.powerCmd } : {}),
    ...(o.console ? { ATOMICNIX_CONSOLE: `${o.console.device}:${o.console.baud}` } : {}),
  };
}
