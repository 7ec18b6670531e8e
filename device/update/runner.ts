import { spawn } from "node:child_process";

/**
 * Runs the external tools the update and health programs depend on (`rauc`, `reboot`,
 * `systemctl`, `ip`). Going through one small runner lets a host test point a command
 * name at another real executable (a `reboot` that records instead of rebooting, a
 * rauc talking to a private D-Bus) without touching the program logic.
 */

interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CommandRunner {
  run(command: string, args: readonly string[], options?: { timeoutMs?: number }): Promise<CommandResult>;
}

/** Maps logical command names (`rauc`, `reboot`) to executables; unmapped names are looked up on PATH. */
export function processRunner(commands: Readonly<Record<string, string>> = {}, env: NodeJS.ProcessEnv = process.env): CommandRunner {
  return {
    run(command, args, options = {}) {
      const exe = commands[command] ?? command;
      return new Promise((resolve) => {
        const child = spawn(exe, [...args], { env, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
        child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
        const timer = options.timeoutMs ? setTimeout(() => child.kill("SIGKILL"), options.timeoutMs) : undefined;
        child.on("error", (e) => {
          if (timer) clearTimeout(timer);
          resolve({ code: 127, stdout, stderr: stderr + `${exe}: ${e.message}` });
        });
        child.on("close", (code, signal) => {
          if (timer) clearTimeout(timer);
          resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr: signal ? stderr + `${exe}: killed by ${signal}` : stderr });
        });
      });
    },
  };
}

/** Parses `NAME=PATH,NAME=PATH` (the `--commands` option and `ATOMICNIX_COMMANDS`). */
export function parseCommandMap(text: string | undefined): Record<string, string> {
  const map: Record<string, string> = {};
  if (!text) return map;
  for (const part of text.split(",")) {
    const eq = part.indexOf("=");
    if (eq <= 0 || eq === part.length - 1) throw new Error(`command map entry "${part}" is not NAME=PATH`);
    map[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return map;
}
