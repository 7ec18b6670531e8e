import { statSync } from "node:fs";

/** A regular file, or a link to one: a folder, FIFO or dangling link named like a spec file is none. */
export function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
