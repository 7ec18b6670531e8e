import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { runTool } from "./exec.js";

export interface KeyBlock {
  file: string;
  /** the BEGIN line's label, e.g. "OPENSSH PRIVATE KEY" */
  label: string;
  /** which tool loaded it, empty when neither could */
  loadedBy: string[];
  /** byte range of the block in the file */
  start: number;
  end: number;
}

/**
 * Private key blocks in files or under directories (paths reported relative to base) and whether a real tool can load them:
 * `openssl pkey` for PEM keys, `ssh-keygen -y` for OpenSSH ones (both without a
 * passphrase). grep only picks the candidate files; the tools decide what a key is,
 * so documentation that quotes a BEGIN line is not a finding, and a real key is.
 */
export function privateKeyBlocks(paths: string[], base = paths.length === 1 ? paths[0]! : "/"): KeyBlock[] {
  if (paths.length === 0) return [];
  const r = spawnSync("grep", ["-rlZ", "--binary-files=text", "-e", "PRIVATE KEY-----", "--", ...paths], { maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0 && r.status !== 1) throw new Error(`grep -r ${paths.join(" ")} exited ${r.status}: ${r.stderr.toString()}`);
  const files = r.stdout.toString("utf8").split("\0").filter(Boolean);
  const work = mkdtempSync(join(tmpdir(), "key-blocks-"));
  const out: KeyBlock[] = [];
  try {
    for (const file of files) {
      const text = readFileSync(file).toString("latin1");
      for (const m of text.matchAll(/-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----[\s\S]*?-----END \1-----/g)) {
        const key = join(work, "key");
        writeFileSync(key, m[0] + "\n");
        chmodSync(key, 0o600);
        const loadedBy: string[] = [];
        if (runTool("openssl", ["pkey", "-in", key, "-noout", "-passin", "pass:"]).status === 0) loadedBy.push("openssl pkey");
        if (runTool("ssh-keygen", ["-y", "-P", "", "-f", key]).status === 0) loadedBy.push("ssh-keygen -y");
        out.push({ file: "/" + relative(base, file), label: m[1]!, loadedBy, start: m.index, end: m.index + m[0].length });
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return out;
}
