import type { IncomingMessage } from "node:http";
import { basename } from "node:path";
import { BUNDLE_LIMIT, BodyError, TOML_LIMIT, looksLikeBundle, multipartBoundary, parseMultipart, readBody } from "./body.js";
import { CONSOLE_NAMESPACE, verifySshSig } from "./sshsig.js";
import { acceptedSignatures, adminKeys, storedConfig, type ConsolePaths } from "./state.js";

/**
 * What a POST carries and whether it may be imported: the configuration read from a
 * raw body, a multipart form or the page's text box, its signature, and the access
 * rule a provisioned gateway applies to it. The HTTP handling is in server.ts.
 */

/** The shapes of device/provisioning (config.ts, import.ts), taken by injection so the HTTP layer has one job. */
export interface Issue {
  path: string;
  message: string;
  line?: number;
  column?: number;
}

// text/plain is what clients of the reference console send for config.toml (console.compat).
export const RAW_TYPES = new Set(["application/toml", "text/plain", "application/gzip", "application/x-gzip", "application/zstd", "application/octet-stream"]);

export interface Submission {
  bytes: Buffer;
  filename?: string;
  signature?: string;
  /** the page field the configuration came from, for placing its errors */
  field: "config_text" | "config_file" | "config";
  text?: string;
}

export class Refusal extends Error {
  constructor(readonly status: number, message: string, readonly field?: string, readonly errors?: Issue[]) {
    super(message);
  }
}

export function mediaType(req: IncomingMessage): string {
  return (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
}

/** The configuration of a POST: a raw body (API only), the multipart file, or the pasted text, with its signature. */
export async function readSubmission(req: IncomingMessage, api: boolean): Promise<Submission> {
  const type = mediaType(req);
  const headerSig = req.headers["x-atomicnix-signature"];
  const signatureFromHeader = typeof headerSig === "string" ? Buffer.from(headerSig, "base64").toString("utf8") : undefined;
  if (api && RAW_TYPES.has(type)) {
    const bytes = await readBody(req, (head) => (looksLikeBundle(head) ? BUNDLE_LIMIT : TOML_LIMIT));
    const name = req.headers["x-config-filename"];
    return { bytes, field: "config", ...(typeof name === "string" && name ? { filename: basename(name).slice(0, 255) } : {}), ...(signatureFromHeader !== undefined ? { signature: signatureFromHeader } : {}) };
  }
  const boundary = multipartBoundary(String(req.headers["content-type"]));
  if (!boundary) throw new BodyError(400, "multipart/form-data without a boundary");
  const parts = parseMultipart(await readBody(req, () => BUNDLE_LIMIT), boundary);
  const part = (name: string) => parts.find((p) => p.name === name);
  const sigPart = part("signature")?.data.toString("utf8").trim();
  const signature = sigPart ? sigPart : signatureFromHeader;
  const withSig = signature !== undefined ? { signature } : {};
  if (api) {
    const config = part("config");
    if (!config) throw new Refusal(400, "multipart field \"config\" is missing", "config", [{ path: "(input)", message: 'multipart field "config" is missing' }]);
    return { bytes: config.data, field: "config", ...(config.filename ? { filename: basename(config.filename).slice(0, 255) } : {}), ...withSig };
  }
  // `config` is the field name of the reference console's form and of the API's multipart form.
  const file = part("config_file") ?? part("config");
  const textPart = part("config_text");
  // Browsers send textarea content with CRLF line ends; the operator pasted (and signed) LF text.
  const text = textPart ? textPart.data.toString("utf8").replace(/\r\n/g, "\n") : "";
  if (file && file.data.length > 0) {
    if (text.trim()) throw new Refusal(400, "give either pasted text or a file, not both", "config_file");
    return { bytes: file.data, field: "config_file", ...(file.filename ? { filename: basename(file.filename).slice(0, 255) } : {}), ...withSig };
  }
  if (!text.trim()) throw new Refusal(400, "paste a config.toml or choose a file", "config_text");
  if (Buffer.byteLength(text) > TOML_LIMIT) throw new BodyError(413, `config.toml is larger than ${TOML_LIMIT} bytes`);
  return { bytes: Buffer.from(text, "utf8"), field: "config_text", text, ...withSig };
}


/** Access rule of console.open-before-provisioning and console.signed; returns the digest to record. */
export function authorise(sub: Submission, paths: ConsolePaths, provisioned: boolean): { digest?: string; alreadyAccepted: boolean } {
  if (!provisioned) return { alreadyAccepted: false };
  if (sub.signature === undefined || sub.signature.trim() === "") {
    throw new Refusal(401, `this gateway is provisioned: a change needs a signature by an admin key (ssh-keygen -Y sign -n ${CONSOLE_NAMESPACE})`, "signature");
  }
  const result = verifySshSig(sub.signature, sub.bytes, { namespace: CONSOLE_NAMESPACE, allowedKeys: adminKeys(paths) });
  if (!result.ok) throw new Refusal(403, `signature refused: ${result.message}`, "signature");
  const seen = acceptedSignatures(paths).has(result.digest);
  if (seen) {
    const stored = storedConfig(paths);
    if (!stored || !stored.equals(sub.bytes)) throw new Refusal(403, "signature refused: it was accepted before and cannot be used again", "signature");
  }
  return { digest: result.digest, alreadyAccepted: seen };
}
