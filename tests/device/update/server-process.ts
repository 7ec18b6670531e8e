import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";

export const REPO = join(import.meta.dirname, "..", "..", "..");

/** Starts `atomicnix update-server` (the registered CLI command) on an ephemeral loopback port. */
export async function startServerProcess(args: string[]): Promise<{ url: string; child: ChildProcess; log: string[]; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [join(REPO, "bin", "atomicnix.js"), "update-server", "--port", "0", "--host", "127.0.0.1", ...args], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
  const log: string[] = [];
  let buf = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`update-server did not start: ${log.join("\n")}`)), 20_000);
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      buf += d;
      const lines = buf.split("\n");
      buf = lines.pop()!;
      for (const l of lines) {
        log.push(l);
        const m = /listening on (http:\/\/\S+)/.exec(l);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      }
    });
    child.stderr!.setEncoding("utf8").on("data", (d: string) => log.push(d));
    child.on("exit", (code) => reject(new Error(`update-server exited ${code}: ${log.join("\n")}`)));
  });
  return {
    url,
    child,
    log,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
