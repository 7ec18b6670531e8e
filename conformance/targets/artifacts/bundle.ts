import { mustRun, runTool } from "./exec.js";

interface BundleImage {
  /** slot class the image is for (boot, rootfs) */
  slotClass: string;
  filename: string;
  checksum: string;
  size: number;
}

export interface BundleInfo {
  compatible: string;
  version: string;
  /** plain or verity, as rauc reports it */
  format: string;
  images: BundleImage[];
}

interface RaucInfoJson {
  compatible: string;
  version: string;
  format?: string;
  bundle?: { format?: string };
  images: Record<string, { filename: string; checksum: string; size: number }>[];
}

const keyringArg = (keyring: string) => `--keyring=${keyring}`;

/**
 * Manifest of a signed bundle, from `rauc info --output-format=json`, which also
 * verifies the signature against the keyring (fails otherwise). rauc 1.8's JSON
 * has no bundle format, so the format comes from the JSON when present and from
 * rauc's text output ("Bundle Format:") otherwise.
 */
export function inspectBundle(bundle: string, keyring: string): BundleInfo {
  const json = JSON.parse(mustRun("rauc", ["info", "--output-format=json", keyringArg(keyring), bundle]).toString("utf8")) as RaucInfoJson;
  let format = json.format ?? json.bundle?.format;
  if (!format) {
    const text = mustRun("rauc", ["info", keyringArg(keyring), bundle]).toString("utf8");
    format = /^Bundle Format:\s*(\S+)/m.exec(text)?.[1];
    if (!format) throw new Error(`rauc info ${bundle}: no bundle format reported`);
  }
  const images = json.images.flatMap((entry) =>
    Object.entries(entry).map(([slotClass, i]) => ({ slotClass, filename: i.filename, checksum: i.checksum, size: i.size })),
  );
  return { compatible: json.compatible, version: json.version, format, images };
}

export interface SignatureCheck {
  verified: boolean;
  exitCode: number | null;
  /** rauc's message (the error on failure) */
  message: string;
}

/** Whether the bundle's signature chains to the given CA keyring (real `rauc info`). */
export function verifyBundleSignature(bundle: string, keyring: string): SignatureCheck {
  const r = runTool("rauc", ["info", keyringArg(keyring), bundle]);
  const lines = r.stderr.split("\n").filter((l) => l.trim() && !/rauc-Message/.test(l));
  return { verified: r.status === 0, exitCode: r.status, message: (r.status === 0 ? r.stderr : lines.join("\n")).trim() };
}

/** Extracts the verified payload (manifest and images) into a new directory, with `rauc extract`. */
export function extractBundle(bundle: string, keyring: string, outDir: string): void {
  mustRun("rauc", ["extract", keyringArg(keyring), bundle, outDir]);
}
