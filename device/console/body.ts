import type { IncomingMessage } from "node:http";

/** Limits of the spec (console.http-errors): TOML 1 MiB; bundles and multipart 64 MiB. */
export const TOML_LIMIT = 1024 * 1024;
export const BUNDLE_LIMIT = 64 * 1024 * 1024;

export class BodyError extends Error {
  constructor(readonly status: 400 | 413, message: string) {
    super(message);
  }
}

/** True when the bytes start with the gzip or zstd magic, i.e. the body is a bundle. */
export function looksLikeBundle(head: Uint8Array): boolean {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return true;
  return head.length >= 4 && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd;
}

/**
 * Reads a request body, stopping as soon as it passes its limit so that no more than
 * the limit is ever held in memory. `limitFor` sees the first bytes and picks the
 * limit (a raw body's kind is decided by its leading bytes); it is asked again until
 * at least four bytes have arrived.
 */
export function readBody(req: IncomingMessage, limitFor: (head: Uint8Array) => number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let limit = BUNDLE_LIMIT;
    let decided = false;
    const fail = (e: BodyError) => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("aborted", onAborted);
      req.off("error", onAborted);
      // Keep the socket draining (without storing) so the client can read the answer.
      req.resume();
      reject(e);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (!decided) {
        const head = Buffer.concat([...chunks, chunk]).subarray(0, 4);
        limit = limitFor(head);
        decided = head.length >= 4;
      }
      if (size > limit) return fail(new BodyError(413, `request body is larger than ${limit} bytes`));
      chunks.push(chunk);
    };
    const onEnd = () => {
      if (!decided) limit = limitFor(Buffer.concat(chunks).subarray(0, 4));
      if (size > limit) return fail(new BodyError(413, `request body is larger than ${limit} bytes`));
      resolve(Buffer.concat(chunks, size));
    };
    const onAborted = () => fail(new BodyError(400, "request body was cut off"));
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("aborted", onAborted);
    req.on("error", onAborted);
  });
}

export interface FormPart {
  name: string;
  filename?: string;
  data: Buffer;
}

/** The boundary parameter of a multipart/form-data Content-Type. */
export function multipartBoundary(contentType: string): string | undefined {
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType);
  return m ? (m[1] ?? m[2]) : undefined;
}

function headerParam(header: string, name: string): string | undefined {
  const m = new RegExp(`;\\s*${name}="((?:[^"\\\\]|\\\\.)*)"`, "i").exec(header) ?? new RegExp(`;\\s*${name}=([^;\\s]+)`, "i").exec(header);
  return m ? m[1]!.replace(/\\(.)/g, "$1") : undefined;
}

/** Parses a complete multipart/form-data body (RFC 7578). Throws BodyError(400) on malformed or truncated input. */
export function parseMultipart(body: Buffer, boundary: string): FormPart[] {
  const delim = Buffer.from(`--${boundary}`);
  const parts: FormPart[] = [];
  let pos = body.indexOf(delim);
  if (pos < 0) throw new BodyError(400, "multipart body holds no boundary");
  for (;;) {
    pos += delim.length;
    if (body.subarray(pos, pos + 2).toString() === "--") return parts;
    if (body.subarray(pos, pos + 2).toString() !== "\r\n") throw new BodyError(400, "multipart boundary is not followed by CRLF");
    pos += 2;
    const headEnd = body.indexOf("\r\n\r\n", pos);
    if (headEnd < 0) throw new BodyError(400, "multipart part headers are cut off");
    const headers = body.subarray(pos, headEnd).toString("utf8").split("\r\n");
    const next = body.indexOf(Buffer.concat([Buffer.from("\r\n"), delim]), headEnd + 4);
    if (next < 0) throw new BodyError(400, "multipart body is cut off (no closing boundary)");
    const disposition = headers.find((h) => /^content-disposition:/i.test(h));
    const name = disposition ? headerParam(disposition, "name") : undefined;
    if (!disposition || name === undefined) throw new BodyError(400, "multipart part has no Content-Disposition name");
    const filename = headerParam(disposition, "filename");
    parts.push({ name, ...(filename !== undefined ? { filename } : {}), data: body.subarray(headEnd + 4, next) });
    if (parts.length > 64) throw new BodyError(400, "multipart body has more than 64 parts");
    pos = next + 2;
  }
}

/** Parses application/x-www-form-urlencoded into name/value parts. */
export function parseUrlEncoded(body: Buffer): FormPart[] {
  return [...new URLSearchParams(body.toString("utf8"))].map(([name, value]) => ({ name, data: Buffer.from(value) }));
}
