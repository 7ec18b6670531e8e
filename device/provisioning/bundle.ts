import { mkdirSync, openSync, closeSync, writeSync, fsyncSync, fchmodSync, fchownSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { gunzipSync } from "node:zlib";
import { Decompress } from "fzstd";
import tar from "tar-stream";
import type { Issue } from "./issues.js";
import type { InputKind } from "./input-kind.js";
import { LIMITS, TAR_STREAM_LIMIT } from "./limits.js";
import type { Steps } from "./durable.js";

/**
 * Reads a config bundle (prov.bundle-members, prov.bundle-limits): decompresses with a
 * hard output bound, then walks the tar members, accepting only regular files and
 * directories at confined relative paths. config.toml is kept in memory; files/ is
 * written into the given staging directory (created empty by the caller), never
 * anywhere else. Nothing here follows or creates a link.
 */
export interface BundleContent {
  configToml: Uint8Array;
  /** true when the bundle holds files/ (then it replaces the stored tree) */
  hasFiles: boolean;
}

class BundleError extends Error {}

const fail = (message: string): never => {
  throw new BundleError(message);
};

const TYPE_NAMES: Record<string, string> = {
  symlink: "a symbolic link",
  link: "a hard link",
  "character-device": "a character device",
  "block-device": "a block device",
  fifo: "a FIFO",
  "contiguous-file": "a contiguous file",
};

function decompressGzip(bytes: Uint8Array): Buffer {
  try {
    return gunzipSync(bytes, { maxOutputLength: TAR_STREAM_LIMIT });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE" || e instanceof RangeError) {
      return fail(`the unpacked bundle exceeds the 64 MiB limit on unpacked content`);
    }
    return fail(`the gzip data is corrupt: ${(e as Error).message}`);
  }
}

/** Pushes small input chunks so one push cannot expand far past the bound (a zstd RLE block is 4 bytes for 128 KiB). */
function decompressZstd(bytes: Uint8Array): Buffer {
  const chunks: Uint8Array[] = [];
  let total = 0;
  let ended = false;
  const d = new Decompress((data, final) => {
    total += data.length;
    if (total > TAR_STREAM_LIMIT) throw new BundleError("the unpacked bundle exceeds the 64 MiB limit on unpacked content");
    chunks.push(data.slice());
    if (final) ended = true;
  });
  const step = 1024;
  try {
    for (let off = 0; off < bytes.length; off += step) d.push(bytes.subarray(off, Math.min(off + step, bytes.length)), off + step >= bytes.length);
  } catch (e) {
    if (e instanceof BundleError) throw e;
    return fail(`the zstd data is corrupt: ${(e as Error).message}`);
  }
  if (!ended && total === 0) fail("the zstd data is truncated");
  return Buffer.concat(chunks, total);
}

function checkMemberName(raw: string, isDir: boolean): string[] {
  const shown = JSON.stringify(raw);
  if (raw.startsWith("/")) fail(`member ${shown} has an absolute path`);
  let name = raw;
  while (name.startsWith("./")) name = name.slice(2);
  if (isDir) name = name.replace(/\/$/, "");
  if (name === "" || name === ".") return [];
  if (Buffer.byteLength(name) > LIMITS.pathBytes) fail(`member path ${JSON.stringify(name.slice(0, 40) + "...")} is ${Buffer.byteLength(name)} bytes; the limit on member path length is ${LIMITS.pathBytes} bytes`);
  const segments = name.split("/");
  for (const s of segments) {
    if (s === "") fail(`member ${shown} has an empty path segment`);
    if (s === "." || s === "..") fail(`member ${shown} has a "${s}" path segment`);
    if (s.includes("\0")) fail(`member ${shown} has a NUL byte in its name`);
  }
  return segments;
}

function writeMember(path: string, data: Buffer, executable: boolean): void {
  const mode = executable ? 0o755 : 0o644;
  const fd = openSync(path, "wx", mode);
  try {
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off, data.length - off);
    fchmodSync(fd, mode);
    if (process.getuid?.() === 0) fchownSync(fd, 0, 0);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

async function readEntry(stream: AsyncIterable<Buffer>, size: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let got = 0;
  for await (const chunk of stream) {
    got += chunk.length;
    if (got > size) fail("a member holds more data than its header declares");
    parts.push(chunk);
  }
  return Buffer.concat(parts, got);
}

export async function readBundle(bytes: Uint8Array, kind: Exclude<InputKind, "toml">, stagingFiles: string, steps?: Steps): Promise<{ ok: true; content: BundleContent } | { ok: false; error: Issue }> {
  try {
    return { ok: true, content: await extract(bytes, kind, stagingFiles, steps) };
  } catch (e) {
    if (e instanceof BundleError) return { ok: false, error: { path: "(input)", message: e.message } };
    const err = e as Error;
    // tar-stream reports malformed headers as plain errors; they are input errors too.
    return { ok: false, error: { path: "(input)", message: `the bundle is not a valid tar archive: ${err.message}` } };
  }
}

async function extract(bytes: Uint8Array, kind: Exclude<InputKind, "toml">, stagingFiles: string, steps?: Steps): Promise<BundleContent> {
  const tarBytes = kind === "gzip" ? decompressGzip(bytes) : decompressZstd(bytes);
  if (tarBytes.length === 0) fail("the bundle is empty");
  const ex = tar.extract();
  const source = Readable.from((function* () {
    for (let off = 0; off < tarBytes.length; off += 65536) yield tarBytes.subarray(off, off + 65536);
  })());
  source.on("error", (e) => ex.destroy(e));
  source.pipe(ex);

  let members = 0;
  let unpacked = 0;
  let configToml: Uint8Array | undefined;
  let hasFiles = false;
  const seen = new Set<string>();
  const madeDirs = new Set<string>();
  const ensureDir = (segments: string[]) => {
    for (let i = 1; i <= segments.length; i++) {
      const rel = segments.slice(0, i).join("/");
      if (madeDirs.has(rel)) continue;
      steps?.step(`stage mkdir ${rel}`);
      try {
        mkdirSync(join(stagingFiles, ...segments.slice(1, i)), { mode: 0o755 });
      } catch (e) {
        fail(`member path "${rel}" conflicts with another member (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
      madeDirs.add(rel);
    }
  };
  try {
    for await (const entry of ex) {
      const h = entry.header;
      members++;
      if (members > LIMITS.members) fail(`the bundle has more than ${LIMITS.members} members, the limit on member count`);
      const type = h.type ?? "file";
      const raw = h.name;
      const shown = JSON.stringify(raw);
      if (type !== "file" && type !== "directory") {
        fail(`member ${shown} is ${TYPE_NAMES[type] ?? `of type ${type}`}; only regular files and directories are allowed`);
      }
      const isDir = type === "directory";
      const segments = checkMemberName(raw, isDir);
      const rel = segments.join("/");
      if (segments.length === 0) {
        if (!isDir) fail(`member ${shown} has an empty name`);
        entry.resume();
        continue;
      }
      if (seen.has(rel)) fail(`member ${shown} appears twice`);
      seen.add(rel);
      const top = segments[0];
      if (top === "config.toml" && segments.length === 1) {
        if (isDir) fail(`member ${shown} is a directory; config.toml must be a regular file`);
        if ((h.size ?? 0) > LIMITS.configToml) fail(`member ${shown} is ${h.size} bytes; config.toml may hold at most 1 MiB`);
        unpacked += h.size ?? 0;
        if (unpacked > LIMITS.unpacked) fail(`the bundle content exceeds the 64 MiB limit on unpacked content`);
        configToml = await readEntry(entry as unknown as AsyncIterable<Buffer>, h.size ?? 0);
        continue;
      }
      if (top !== "files") fail(`member ${shown} is not allowed: the top level may hold only config.toml and files/`);
      if (segments.length === 1 && !isDir) fail(`member ${shown} must be a directory`);
      hasFiles = true;
      if (isDir) {
        ensureDir(segments);
        entry.resume();
        continue;
      }
      unpacked += h.size ?? 0;
      if (unpacked > LIMITS.unpacked) fail(`the bundle content exceeds the 64 MiB limit on unpacked content`);
      ensureDir(segments.slice(0, -1));
      const data = await readEntry(entry as unknown as AsyncIterable<Buffer>, h.size ?? 0);
      steps?.step(`stage write ${rel}`);
      try {
        writeMember(join(stagingFiles, ...segments.slice(1)), data, ((h.mode ?? 0o644) & 0o111) !== 0);
      } catch (e) {
        fail(`member ${shown} conflicts with another member (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
      madeDirs.add(rel);
    }
  } finally {
    ex.destroy();
    source.destroy();
  }
  if (members === 0) fail("the bundle holds no members");
  if (!configToml) fail("the bundle holds no top-level config.toml");
  return { configToml: configToml!, hasFiles };
}
