import { spawn } from "node:child_process";

/** Runs a command for real (no shell) and reports its exit code and combined output. */
interface CommandResult {
  code: number;
  output: string;
}
export type CommandRunner = (argv: readonly string[]) => Promise<CommandResult>;

export const execRunner: CommandRunner = (argv) =>
  new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("error", (e) => resolve({ code: 127, output: `${argv[0]}: ${e.message}` }));
    child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), output }));
  });
