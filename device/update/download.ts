import { createHash } from "node:crypto";
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, statSync, statfsSync, unlinkSync, writeSync, createReadStream } from "node:fs";
import { join } from "node:path";
import { fsyncPath } from "../../lib/atomic-write.js";

/**
 * The resume-safe bundle download of `upgrade.download`: bytes go to a `.part` file
 * named after the offer, are checked against `size` and `sha256`, and only then are
 * renamed to a `.raucb` name. A `.part` is never installed. An interrupted transfer
 * of an offer that carries a `sha256` keeps its `.part` so the next run can resume
 * with a Range request (the hash proves the assembled file); every other failure
 * deletes it, so nothing partial is left behind.
 */

export interface Offer {
  version: string;
  bundle_url: string;
  sha256?: string;
  size?: number;
}

export type DownloadResult =
  | { ok: true; path: string; bytes: number; resumedFrom: number }
  | { ok: false; cause: string; keptPart: boolean };

export interface DownloadOptions {
  dir: string;
  /** aborts a transfer that receives nothing for this long */
  idleTimeoutMs?: number;
  log?: (line: string) => void;
}

function safeName(version: string): string {
  return version.replace(/[^0-9A-Za-z._+~-]/g, "_");
}

/** `.part` name tied to the offer: a different offer never resumes onto these bytes. */
export function partName(offer: Offer): string {
  return `update-${safeName(offer.version)}-${offer.sha256 ? offer.sha256.slice(0, 16) : "nohash"}.raucb.part`;
}

function bundleName(offer: Offer): string {
  return `update-${safeName(offer.version)}.raucb`;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return -1;
  }
}

function remove(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* already gone */
  }
}


/** Deletes `.part` and `.raucb` leftovers that do not belong to the current offer. */
export function removeStale(dir: string, keep: string): string[] {
  const removed: string[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (name !== keep && (name.endsWith(".part") || name.endsWith(".raucb"))) {
      remove(join(dir, name));
      removed.push(name);
    }
  }
  return removed;
}

export async function downloadBundle(offer: Offer, options: DownloadOptions): Promise<DownloadResult> {
  const log = options.log ?? (() => {});
  mkdirSync(options.dir, { recursive: true });
  const part = join(options.dir, partName(offer));
  for (const name of removeStale(options.dir, partName(offer))) log(`removed leftover ${join(options.dir, name)}`);

  // Resume only when the offer's hash can prove the assembled file.
  let have = offer.sha256 ? Math.max(0, sizeOf(part)) : 0;
  if (!offer.sha256) remove(part);
  if (offer.size !== undefined && have > offer.size) {
    log(`leftover ${part} is larger than the offered size; deleting it`);
    remove(part);
    have = 0;
  }

  // Refuse early rather than fill /data (which also holds the RAUC status and config).
  if (offer.size !== undefined) {
    const fs = statfsSync(options.dir);
    const free = fs.bavail * fs.bsize;
    if (free < offer.size - have) {
      return { ok: false, cause: `not enough space in ${options.dir}: need ${offer.size - have} bytes, ${free} free`, keptPart: have > 0 };
    }
  }

  const idleMs = options.idleTimeoutMs ?? 60_000;
  const controller = new AbortController();
  let idle = setTimeout(() => controller.abort(new Error(`no data for ${idleMs} ms`)), idleMs);
  const touch = () => {
    clearTimeout(idle);
    idle = setTimeout(() => controller.abort(new Error(`no data for ${idleMs} ms`)), idleMs);
  };
  let fd: number | undefined;
  let written = 0;
  let resumedFrom = 0;
  try {
    let response: Response;
    try {
      response = await fetch(offer.bundle_url, { signal: controller.signal, headers: have > 0 ? { Range: `bytes=${have}-` } : {}, redirect: "follow" });
    } catch (e) {
      return fail(`bundle download from ${offer.bundle_url} failed: ${describe(e)}`, have > 0);
    }
    if (have > 0 && response.status === 416) {
      // The part already holds everything (or garbage): judge it by the hash below.
      await response.body?.cancel();
    } else if (response.status === 206 && have > 0) {
      const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(response.headers.get("content-range") ?? "");
      if (!range || Number(range[1]) !== have) {
        await response.body?.cancel();
        remove(part);
        return fail(`bundle server answered a Range request for bytes ${have}- with Content-Range "${response.headers.get("content-range")}"; deleted the partial file`, false);
      }
      resumedFrom = have;
      log(`resuming ${part} at byte ${have}`);
      fd = openSync(part, "a");
    } else if (response.status === 200) {
      if (have > 0) log(`server ignored the Range request; restarting ${part} from byte 0`);
      have = 0;
      fd = openSync(part, "w");
    } else {
      await response.body?.cancel();
      remove(part);
      return fail(`bundle download from ${offer.bundle_url} failed: HTTP ${response.status}`, false);
    }
    if (fd !== undefined && response.body) {
      try {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          touch();
          let off = 0;
          while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
          written += chunk.length;
          if (offer.size !== undefined && have + written > offer.size) throw new Error(`more bytes than the offered size ${offer.size}`);
        }
        fsyncSync(fd);
      } catch (e) {
        fsyncSync(fd);
        closeSync(fd);
        fd = undefined;
        const keep = Boolean(offer.sha256) && !/offered size/.test(describe(e));
        if (!keep) remove(part);
        return fail(`bundle download from ${offer.bundle_url} interrupted after ${have + written} bytes: ${describe(e)}${keep ? `; kept ${part} to resume` : ""}`, keep);
      }
    }
  } finally {
    clearTimeout(idle);
    if (fd !== undefined) closeSync(fd);
  }

  const total = sizeOf(part);
  if (offer.size !== undefined && total !== offer.size) {
    remove(part);
    return fail(`downloaded ${total} bytes but the offer says size ${offer.size}; deleted ${part}`, false);
  }
  if (offer.sha256) {
    const actual = await sha256File(part);
    if (actual !== offer.sha256) {
      remove(part);
      return fail(`sha256 mismatch: downloaded ${actual}, offer says ${offer.sha256}; deleted ${part}`, false);
    }
  }
  const final = join(options.dir, bundleName(offer));
  renameSync(part, final);
  fsyncPath(options.dir);
  return { ok: true, path: final, bytes: total, resumedFrom };

  function fail(cause: string, keptPart: boolean): DownloadResult {
    return { ok: false, cause, keptPart };
  }
}

export function describe(e: unknown): string {
  if (e instanceof Error) {
    const cause = (e as Error & { cause?: unknown }).cause;
    const inner = cause instanceof Error ? `: ${(cause as NodeJS.ErrnoException).code ?? cause.message}` : "";
    return `${e.message}${inner}`;
  }
  return String(e);
}
