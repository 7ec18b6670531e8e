import { createHash } from "node:crypto";
import { createReadStream, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { CommandRunner } from "./runner.js";
import { compareVersions, isValidVersion } from "./version.js";

/**
 * The bundles a reference update server offers: every `.raucb` in one directory, with
 * version and compatible read by the real `rauc info --output-format=json` (signature
 * checked against a keyring, or `--no-verify` when the operator gives none). Results
 * are cached per file name, size and mtime, so bundles can be dropped in while the
 * server runs without re-reading unchanged ones.
 */

export interface BundleEntry {
  name: string;
  path: string;
  version: string;
  compatible: string;
  size: number;
  sha256: string;
  mtimeMs: number;
}

export interface CatalogOptions {
  dir: string;
  runner: CommandRunner;
  keyring?: string;
  /** bundles whose manifest `compatible` differs are skipped (logged once with the reason) */
  compatible?: string;
  log: (line: string) => void;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

async function readBundleInfo(path: string, runner: CommandRunner, keyring?: string): Promise<{ version: string; compatible: string }> {
  const args = ["info", "--output-format=json", ...(keyring ? [`--keyring=${keyring}`] : ["--no-verify"]), path];
  const r = await runner.run("rauc", args, { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`rauc info failed (exit ${r.code}): ${r.stderr.trim().split("\n").pop() ?? ""}`);
  let info: unknown;
  try {
    info = JSON.parse(r.stdout);
  } catch {
    throw new Error(`rauc info printed no JSON`);
  }
  const { version, compatible } = (info ?? {}) as { version?: unknown; compatible?: unknown };
  if (typeof version !== "string" || !isValidVersion(version)) throw new Error(`manifest version ${JSON.stringify(version)} is not a valid version`);
  if (typeof compatible !== "string") throw new Error(`manifest has no compatible`);
  return { version, compatible };
}

export class BundleCatalog {
  private cache = new Map<string, BundleEntry | { error: string; size: number; mtimeMs: number }>();
  constructor(private readonly o: CatalogOptions) {}

  /** Current usable bundles; unreadable or unsigned ones are logged once and left out. */
  async entries(): Promise<BundleEntry[]> {
    const names = readdirSync(this.o.dir).filter((n) => n.endsWith(".raucb")).sort();
    const out: BundleEntry[] = [];
    for (const name of names) {
      const path = join(this.o.dir, name);
      let st;
      try {
        st = statSync(path);
      } catch {
        continue;
      }
      if (!st.isFile()) continue;
      let entry = this.cache.get(name);
      if (!entry || entry.size !== st.size || entry.mtimeMs !== st.mtimeMs) {
        try {
          const info = await readBundleInfo(path, this.o.runner, this.o.keyring);
          if (this.o.compatible !== undefined && info.compatible !== this.o.compatible) {
            throw new Error(`compatible ${JSON.stringify(info.compatible)} is not ${JSON.stringify(this.o.compatible)} (--compatible)`);
          }
          entry = { name, path, ...info, size: st.size, sha256: await sha256File(path), mtimeMs: st.mtimeMs };
          this.o.log(`bundle ${name}: version ${entry.version}, compatible ${entry.compatible}, ${entry.size} bytes${this.o.keyring ? ", signature verified" : ", signature NOT verified (--insecure-no-verify)"}`);
        } catch (e) {
          entry = { error: (e as Error).message, size: st.size, mtimeMs: st.mtimeMs };
          this.o.log(`bundle ${name} ignored: ${entry.error}`);
        }
        this.cache.set(name, entry);
      }
      if ("version" in entry) out.push(entry);
    }
    for (const name of [...this.cache.keys()]) if (!names.includes(name)) this.cache.delete(name);
    return out;
  }

  async newest(compatible?: string): Promise<BundleEntry | undefined> {
    let best: BundleEntry | undefined;
    for (const e of await this.entries()) {
      if (compatible && e.compatible !== compatible) continue;
      if (!best || compareVersions(e.version, best.version) > 0) best = e;
    }
    return best;
  }
}
