import type { Issue } from "./issues.js";
import { LIMITS } from "./limits.js";

/**
 * Decides what an input is from its leading bytes (prov.input-kinds): gzip magic
 * 1f8b, zstd magic 28b52ffd, otherwise plain TOML. A file name that claims another
 * kind than the bytes have is an error, never a hint.
 */
export type InputKind = "toml" | "gzip" | "zstd";

const NAME_KINDS: ReadonlyArray<[RegExp, InputKind]> = [
  [/\.(tar\.gz|tgz)$/i, "gzip"],
  [/\.(tar\.zst|tar\.zstd|tzst)$/i, "zstd"],
  [/\.toml$/i, "toml"],
];

const KIND_NAMES: Record<InputKind, string> = { toml: "plain TOML", gzip: "gzip data", zstd: "zstd data" };

function kindFromBytes(bytes: Uint8Array): InputKind {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) return "gzip";
  if (bytes.length >= 4 && bytes[0] === 0x28 && bytes[1] === 0xb5 && bytes[2] === 0x2f && bytes[3] === 0xfd) return "zstd";
  return "toml";
}

function kindFromName(filename: string | undefined): InputKind | undefined {
  if (!filename) return undefined;
  return NAME_KINDS.find(([re]) => re.test(filename))?.[1];
}

export function detectInputKind(bytes: Uint8Array, filename?: string): { ok: true; kind: InputKind } | { ok: false; error: Issue } {
  const kind = kindFromBytes(bytes);
  const claimed = kindFromName(filename);
  const label = filename ? `${filename}: ` : "";
  if (claimed && claimed !== kind) {
    return { ok: false, error: { path: "(input)", message: `${label}the name says ${KIND_NAMES[claimed]} but the content is ${KIND_NAMES[kind]}` } };
  }
  if (kind === "toml" && bytes.length > LIMITS.configToml) {
    return { ok: false, error: { path: "(input)", message: `${label}config.toml is ${bytes.length} bytes; at most ${LIMITS.configToml} (1 MiB) are accepted` } };
  }
  if (kind !== "toml" && bytes.length > LIMITS.compressed) {
    return { ok: false, error: { path: "(input)", message: `${label}the bundle is ${bytes.length} bytes compressed; at most 64 MiB are accepted` } };
  }
  return { ok: true, kind };
}

/** config.toml must be UTF-8; a fatal decoder refuses instead of substituting characters. */
export function decodeUtf8(bytes: Uint8Array, what: string): { ok: true; text: string } | { ok: false; error: Issue } {
  try {
    return { ok: true, text: new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes) };
  } catch {
    return { ok: false, error: { path: "(input)", message: `${what} is not valid UTF-8 text` } };
  }
}
