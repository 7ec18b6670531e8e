import { spawnSync } from "node:child_process";
import { dirname, relative } from "node:path";

const heads = new Map<string, string | null>();

/** The file as of the last commit, or null when it is not tracked (or there is no git). */
function headVersion(path: string): string | null {
  if (heads.has(path)) return heads.get(path)!;
  let text: string | null = null;
  const top = spawnSync("git", ["-C", dirname(path), "rev-parse", "--show-toplevel"], { encoding: "utf8" });
  if (top.status === 0) {
    const rel = relative(top.stdout.trim(), path);
    const show = spawnSync("git", ["-C", top.stdout.trim(), "show", `HEAD:${rel}`], { encoding: "utf8", maxBuffer: 1 << 28 });
    if (show.status === 0) text = show.stdout;
  }
  heads.set(path, text);
  return text;
}

/**
 * Whether `needle` was already in `path` at the last commit: true/false, or
 * undefined when git cannot tell. Asked only for duplicate IDs, so the git calls
 * stay off the common path.
 */
export function inLastCommit(path: string, needle: string): boolean | undefined {
  const text = headVersion(path);
  return text === null ? undefined : text.includes(needle);
}
