import { spawnSync } from "node:child_process";

/** Result of one external tool run; stdout kept as bytes for binary output. */
export interface ToolRun {
  status: number | null;
  stdout: Buffer;
  stderr: string;
}

/**
 * Runs a real tool (sfdisk, unsquashfs, rauc, ...) without a shell. Inspectors
 * never emulate a tool: if it is missing the error says which package to install.
 */
export function runTool(cmd: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; input?: Buffer | string } = {}): ToolRun {
  const r = spawnSync(cmd, args, { env: opts.env ?? process.env, input: opts.input, maxBuffer: 512 * 1024 * 1024 });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    throw new Error(code === "ENOENT" ? `${cmd} not found: install it (see scripts/setup.sh)` : `${cmd}: ${r.error.message}`);
  }
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString("utf8") };
}

/** Like runTool, but a non-zero exit is an error naming the command and its stderr. */
export function mustRun(cmd: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; input?: Buffer | string } = {}): Buffer {
  const r = runTool(cmd, args, opts);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}: ${r.stderr.trim()}`);
  return r.stdout;
}
