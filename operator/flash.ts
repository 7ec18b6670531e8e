import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, constants, fsyncSync, openSync, readSync, statSync, writeSync } from "node:fs";
import { createInterface } from "node:readline/promises";
import { parse, UsageError } from "../lib/args.js";
import { inspectTarget, type BlockTarget } from "./block-device.js";
import { describeLayout, mib, readLayout } from "./gpt.js";

/**
 * `atomicnix flash IMAGE DEVICE [--yes] [--force] [--no-verify] [--json]`: writes a
 * disk image to an eMMC module or SD card the way the seed's flash task does, with the
 * checks an operator needs: never the disk holding the running system, not a mounted
 * or non-removable disk unless --force, progress, fsync, and a read-back SHA-256 of
 * the device against the image.
 */
export const FLASH_USAGE = "flash IMAGE DEVICE [--yes] [--force] [--no-verify] [--json]";
const CHUNK = 4 * 1024 * 1024;

type Log = (line: string) => void;

/** Why the target must not be written, or undefined. `force` lifts only the mounted and removable checks. */
export function refusal(t: BlockTarget, imageBytes: number, force: boolean): string | undefined {
  if (t.system.length) return `${t.path} is on disk ${t.disk}, which holds the running system (${t.system.join(", ")}); refusing even with --force`;
  if (t.sizeBytes < imageBytes) return `${t.path} holds ${mib(t.sizeBytes)}, less than the image's ${mib(imageBytes)}`;
  if (force) return undefined;
  if (t.inUse.length) return `${t.disk} is in use (${t.inUse.join(", ")}); unmount it first, or give --force`;
  if (t.isPartition) return `${t.path} is a partition of ${t.disk}; give the whole disk (/dev/${t.disk}), or --force`;
  if (!t.removable) return `${t.disk} is not a removable disk (/sys/block/${t.disk}/removable is 0); give --force if it really is the card or module to flash`;
  return undefined;
}

function hashRange(fd: number, length: number, onProgress?: (done: number) => void): string {
  const hash = createHash("sha256");
  const buf = Buffer.alloc(CHUNK);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, 0, Math.min(CHUNK, length - done), done);
    if (n === 0) throw new Error(`short read at ${done} of ${length} bytes`);
    hash.update(buf.subarray(0, n));
    done += n;
    onProgress?.(done);
  }
  return hash.digest("hex");
}

function progress(label: string, total: number, log: Log): (done: number) => void {
  const started = Date.now();
  let last = 0;
  return (done) => {
    const now = Date.now();
    if (done < total && now - last < 1000) return;
    last = now;
    const secs = Math.max((now - started) / 1000, 0.001);
    log(`${label} ${mib(done)} of ${mib(total)} (${Math.floor((done * 100) / total)}%, ${(done / (1024 * 1024) / secs).toFixed(1)} MiB/s)`);
  };
}

async function confirm(t: BlockTarget, image: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`Write ${image} to ${t.path} (disk ${t.disk}, ${mib(t.sizeBytes)}); everything on it is lost. Type yes: `);
    return answer.trim() === "yes";
  } finally {
    rl.close();
  }
}

export async function flashCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { yes: { type: "boolean", short: "y", default: false }, force: { type: "boolean", default: false }, "no-verify": { type: "boolean", default: false }, json: { type: "boolean", default: false }, help: { type: "boolean", short: "h", default: false } },
    2,
  );
  if (values.help) {
    process.stdout.write(`usage: atomicnix ${FLASH_USAGE}\n`);
    return 0;
  }
  const [image, device] = positionals;
  if (!image || !device) throw new UsageError(`usage: ${FLASH_USAGE}`);
  const log: Log = (line) => process.stderr.write(values.json ? JSON.stringify({ time: new Date().toISOString(), message: line }) + "\n" : `flash: ${line}\n`);
  let imageSize: number;
  try {
    const st = statSync(image);
    if (!st.isFile()) throw new Error("not a regular file");
    imageSize = st.size;
  } catch (e) {
    throw new UsageError(`IMAGE ${image}: ${(e as Error).message}`);
  }
  let target: BlockTarget;
  try {
    target = inspectTarget(device);
  } catch (e) {
    throw new UsageError(`DEVICE ${device}: ${(e as Error).message}`);
  }
  const layout = readLayout(image);
  for (const l of describeLayout(layout)) log(`image ${image}: ${l}`);
  const why = refusal(target, imageSize, values.force);
  if (why) {
    log(`refused: ${why}`);
    return 1;
  }
  if (!values.yes && !(await confirm(target, image))) {
    log(process.stdin.isTTY ? "not confirmed; nothing written" : "not a terminal: give --yes to write without a prompt; nothing written");
    return 1;
  }

  const started = Date.now();
  // O_EXCL on a block device: the kernel refuses it while anything has the device mounted.
  let dst: number;
  try {
    dst = openSync(target.path, constants.O_WRONLY | constants.O_EXCL);
  } catch (e) {
    log(`refused: cannot open ${target.path} exclusively: ${(e as NodeJS.ErrnoException).code} (${(e as Error).message}); is it mounted or in use?`);
    return 1;
  }
  const src = openSync(image, "r");
  let imageHash: string;
  try {
    const hash = createHash("sha256");
    const buf = Buffer.alloc(CHUNK);
    const show = progress("wrote", imageSize, log);
    let done = 0;
    while (done < imageSize) {
      const n = readSync(src, buf, 0, Math.min(CHUNK, imageSize - done), done);
      if (n === 0) throw new Error(`image shrank while writing (at ${done} bytes)`);
      hash.update(buf.subarray(0, n));
      let off = 0;
      while (off < n) off += writeSync(dst, buf, off, n - off, done + off);
      done += n;
      show(done);
    }
    log("syncing");
    fsyncSync(dst);
    imageHash = hash.digest("hex");
  } finally {
    closeSync(src);
    closeSync(dst);
  }
  const writeSecs = (Date.now() - started) / 1000;

  let verified: boolean | undefined;
  if (!values["no-verify"]) {
    // Drop the kernel's cached copy of the device so the read-back comes from the medium.
    const flush = spawnSync("blockdev", ["--flushbufs", target.path], { encoding: "utf8" });
    if (flush.status !== 0) log(`blockdev --flushbufs failed (${flush.stderr.trim()}); the read-back may come from the page cache`);
    const fd = openSync(target.path, "r");
    try {
      const deviceHash = hashRange(fd, imageSize, progress("verified", imageSize, log));
      verified = deviceHash === imageHash;
      if (!verified) {
        log(`VERIFY FAILED: the first ${imageSize} bytes of ${target.path} hash to ${deviceHash}, the image to ${imageHash}`);
        return 1;
      }
    } finally {
      closeSync(fd);
    }
  }
  const summary = { ok: true, image, device: target.path, disk: target.disk, bytes: imageSize, sha256: imageHash, verified: verified ?? false, seconds: writeSecs, layout };
  if (values.json) process.stdout.write(JSON.stringify(summary) + "\n");
  else {
    process.stdout.write(`Wrote ${mib(imageSize)} to ${target.path} in ${writeSecs.toFixed(1)} s${verified ? ", verified by SHA-256 read-back" : " (not verified: --no-verify)"}.\n`);
    for (const l of describeLayout(layout)) process.stdout.write(`  ${l}\n`);
    process.stdout.write(`  sha256 ${imageHash}\n`);
    if (layout.scheme === "gpt" && layout.partitions.length === 2) process.stdout.write("  slot B and /data are created by systemd-repart on the first boot\n");
  }
  return 0;
}
