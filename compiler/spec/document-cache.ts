import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { writeFileAtomic } from "../fs/atomic-write.js";
import { extractSpecDocument } from "./extract.js";
import type { SpecDocument } from "./model.js";

/**
 * Markdown parsing (micromark) is by far the most expensive step of a check, and a
 * spec author usually changes one file at a time. Extracted documents are plain
 * data, so they are cached by the hash of the source and of the extractor's own
 * code: an edited spec, or an edited extractor, always misses.
 */
const here = dirname(fileURLToPath(import.meta.url));

function extractorFingerprint(): string {
  const hash = createHash("sha256");
  const files = existsSync(join(here, "extract.ts")) ? [here, join(here, "..", "schema")].flatMap((d) => readdirSync(d).filter((f) => f.endsWith(".ts")).sort().map((f) => join(d, f))) : [fileURLToPath(import.meta.url)];
  for (const f of files) hash.update(f.slice(here.length)).update(readFileSync(f));
  return hash.digest("hex").slice(0, 16);
}

let fingerprint: string | undefined;
const memory = new Map<string, Omit<SpecDocument, "file" | "source">>();

function cacheDir(): string | undefined {
  if (process.env.ATOMICNIX_SPEC_CACHE === "off") return undefined;
  return resolve(process.env.ATOMICNIX_SPEC_CACHE ?? join(here, "..", "..", ".cache", "spec-documents"));
}

export function loadSpecDocument(file: string, source: string): SpecDocument {
  fingerprint ??= extractorFingerprint();
  const key = createHash("sha256").update(fingerprint).update("\0").update(source).digest("hex");
  const dir = cacheDir();
  const hit = dir ? memory.get(key) : undefined;
  if (hit) return { ...hit, file, source };
  const path = dir && join(dir, key.slice(0, 2), `${key}.json`);
  if (path && existsSync(path) && statSync(path).size > 0) {
    try {
      const cached = JSON.parse(readFileSync(path, "utf8")) as Omit<SpecDocument, "file" | "source">;
      memory.set(key, cached);
      return { ...cached, file, source };
    } catch {
      // A damaged cache entry is rebuilt below.
    }
  }
  const doc = extractSpecDocument(file, source);
  const { file: _f, source: _s, ...data } = doc;
  if (path) {
    memory.set(key, data);
    try {
      writeFileAtomic(path, JSON.stringify(data));
    } catch {
      // Read-only checkouts still check; they just do not get faster.
    }
  }
  return doc;
}
