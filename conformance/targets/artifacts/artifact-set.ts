import { createHash } from "node:crypto";
import { createReadStream, existsSync, readFileSync, statSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";

/**
 * The built files one `artifacts` run inspects. A build (the twin build, or a Nix
 * build copied out of the store) describes them in `<dir>/artifacts.json`, paths
 * relative to that file:
 *
 *   { "image": "atomicnix-25.11.img", "squashfs": "rootfs.squashfs", "bundle": "rock64.raucb",
 *     "bootScr": "boot.scr", "bootCmd": "boot.cmd", "caCert": "dev.ca.cert.pem",
 *     "signingCert": "dev.signing.cert.pem", "idbloader": "idbloader.img", "ubootItb": "u-boot.itb",
 *     "env": { "offset": 4161536, "size": 16384 }, "version": "25.11.20251201.a1b2c3d", "arch": "arm64" }
 *
 * `idbloader`/`ubootItb` (Rock64 only), `env` (twin only), `signingKey` (the key the build
 * signed with, kept outside the artifacts), `version`, `arch` and `twin` are optional.
 * `"twin": true` marks a twin build (twin/build.sh): the same nix/scripts, but a Debian
 * root, bundle compatible `atomicnix-twin`, a quick squashfs level and (amd64) no
 * U-Boot boot path, so checks of Rock64 release values declare themselves not
 * runnable on it instead of passing or failing on values it never claims.
 */
export interface ArtifactSet {
  image: string;
  squashfs: string;
  bundle: string;
  bootScr: string;
  /** the boot.cmd shipped next to boot.scr (source with the build ID substituted) */
  bootCmd: string;
  caCert: string;
  signingCert: string;
  /** the signing key the build used (never shipped): lets checks search for its DER form */
  signingKey?: string;
  idbloader?: string;
  ubootItb?: string;
  env?: { offset: number; size: number };
  /** expected bundle version, when the build knows it */
  version?: string;
  arch?: string;
  /** a twin build, not a Rock64 release set */
  twin?: boolean;
}

const FILE_FIELDS = ["image", "squashfs", "bundle", "bootScr", "bootCmd", "caCert", "signingCert"] as const;
const OPTIONAL_FILE_FIELDS = ["idbloader", "ubootItb", "signingKey"] as const;

/** Reads and checks `<dir>/artifacts.json`; errors name the file and the field. */
export function loadArtifactSet(dir: string | undefined = process.env.ATOMICNIX_ARTIFACTS_DIR): ArtifactSet {
  if (!dir) throw new Error("the artifacts target needs ATOMICNIX_ARTIFACTS_DIR: a directory holding artifacts.json and the built files");
  const file = join(dir, "artifacts.json");
  if (!existsSync(file)) throw new Error(`${file}: not found (ATOMICNIX_ARTIFACTS_DIR=${dir})`);
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${file}: not valid JSON: ${(e as Error).message}`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new Error(`${file}: must hold a JSON object`);
  const path = (field: string, required: boolean): string | undefined => {
    const v = raw[field];
    if (v === undefined && !required) return undefined;
    if (typeof v !== "string" || v === "") throw new Error(`${file}: field \`${field}\` must be a non-empty path string`);
    const p = isAbsolute(v) ? v : resolve(dir, v);
    if (!existsSync(p) || !statSync(p).isFile()) throw new Error(`${file}: field \`${field}\`: ${p} is not a file`);
    return p;
  };
  const set = Object.fromEntries(FILE_FIELDS.map((f) => [f, path(f, true)])) as Pick<ArtifactSet, (typeof FILE_FIELDS)[number]>;
  const result: ArtifactSet = { ...set };
  for (const f of OPTIONAL_FILE_FIELDS) {
    const p = path(f, false);
    if (p) result[f] = p;
  }
  if ((result.idbloader === undefined) !== (result.ubootItb === undefined)) throw new Error(`${file}: fields \`idbloader\` and \`ubootItb\` go together`);
  if (raw.env !== undefined) {
    const env = raw.env as Record<string, unknown>;
    if (typeof env !== "object" || env === null || !Number.isInteger(env.offset) || !Number.isInteger(env.size)) {
      throw new Error(`${file}: field \`env\` must be { "offset": <integer>, "size": <integer> }`);
    }
    result.env = { offset: env.offset as number, size: env.size as number };
  }
  for (const f of ["version", "arch"] as const) {
    const v = raw[f];
    if (v === undefined) continue;
    if (typeof v !== "string" || v === "") throw new Error(`${file}: field \`${f}\` must be a non-empty string`);
    result[f] = v;
  }
  if (raw.twin !== undefined) {
    if (typeof raw.twin !== "boolean") throw new Error(`${file}: field \`twin\` must be true or false`);
    result.twin = raw.twin;
  }
  return result;
}

/** SHA-256 of a file, streamed (disk images are over 1 GiB). */
async function fileSha256(file: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(file, { highWaterMark: 4 * 1024 * 1024 })) h.update(chunk as Buffer);
  return h.digest("hex");
}

/**
 * What the artifacts target is, for the run metadata: the runner passes these as
 * ATOMICNIX_TARGET_INFO (JSON) and ATOMICNIX_IMAGE_HASH before starting vitest.
 */
export async function describeArtifactSet(set: ArtifactSet): Promise<{ targetInfo: Record<string, unknown>; imageHash: string }> {
  const imageHash = `sha256:${await fileSha256(set.image)}`;
  return {
    imageHash,
    targetInfo: { kind: "artifacts", arch: set.arch ?? null, image: set.image, bundle: set.bundle, bundleSha256: await fileSha256(set.bundle), version: set.version ?? null, twin: set.twin ?? false },
  };
}
