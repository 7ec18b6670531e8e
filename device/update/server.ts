import { createReadStream } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { BundleCatalog, type BundleEntry } from "./bundle-catalog.js";
import type { CommandRunner } from "./runner.js";
import { compareVersions, isValidVersion } from "./version.js";

/**
 * The reference update server (`upgrade.update-server`): the poll protocol over a
 * directory of `.raucb` bundles, for tests and small fleets. `GET /api/v1/updates/latest`
 * offers the greatest bundle version when it is newer than `X-Current-Version` (204
 * otherwise, 400 for bad headers); `GET /bundles/<name>` serves the bytes with
 * Content-Length and single-range support so devices can resume.
 */

export interface UpdateServerOptions {
  dir: string;
  host?: string;
  port?: number;
  /** CA certificate bundles must be signed by; required unless `insecureNoVerify` */
  keyring?: string;
  /** serve bundles without checking their signatures (development only) */
  insecureNoVerify?: boolean;
  /** offer only bundles whose manifest `compatible` equals this; default `rock64` */
  compatible?: string;
  /** operator rollback: offer exactly this version, flagged `downgrade` when older than the device's */
  pin?: string;
  /** base for `bundle_url` (e.g. behind a proxy); default: the listen address. Never the request's Host header. */
  publicUrl?: string;
  runner: CommandRunner;
  log: (line: string) => void;
}

export interface RunningServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

const DEVICE_ID = /^[0-9a-f]{12}$/;

export const DEFAULT_COMPATIBLE = "rock64";

export async function startUpdateServer(o: UpdateServerOptions): Promise<RunningServer> {
  if (!o.keyring && !o.insecureNoVerify) throw new Error("a keyring is required to check bundle signatures (or insecureNoVerify for development)");
  const compatible = o.compatible ?? DEFAULT_COMPATIBLE;
  const catalog = new BundleCatalog({ dir: o.dir, runner: o.runner, log: o.log, compatible, ...(o.keyring ? { keyring: o.keyring } : {}) });
  await catalog.entries(); // read every bundle once up front; errors are logged, not fatal
  let publicBase = "";
  const server = createServer((req, res) => {
    const started = Date.now();
    res.on("finish", () => o.log(`${req.socket.remoteAddress} ${req.method} ${req.url} ${res.statusCode} ${res.getHeader("content-length") ?? 0}B device=${header(req, "x-device-id") ?? "-"} version=${header(req, "x-current-version") ?? "-"} ${Date.now() - started}ms`));
    handle(req, res).catch((e) => {
      o.log(`error handling ${req.method} ${req.url}: ${(e as Error).message}`);
      if (!res.headersSent) send(res, 500, "internal error\n");
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "method not allowed\n", { Allow: "GET, HEAD" });
    if (path === "/api/v1/updates/latest") return latest(req, res);
    if (path.startsWith("/bundles/")) return bundle(req, res, decodeURIComponent(path.slice("/bundles/".length)));
    return send(res, 404, "not found\n");
  }

  async function latest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const deviceId = header(req, "x-device-id");
    const current = header(req, "x-current-version");
    if (!deviceId || !DEVICE_ID.test(deviceId)) return send(res, 400, "X-Device-ID must be 12 lower-case hex digits\n");
    if (!current || !isValidVersion(current)) return send(res, 400, "X-Current-Version is missing or not a valid version\n");
    let offer: BundleEntry | undefined;
    let downgrade = false;
    if (o.pin) {
      offer = (await catalog.entries()).find((e) => e.version === o.pin);
      if (offer) {
        const c = compareVersions(offer.version, current);
        if (c === 0) offer = undefined;
        else downgrade = c < 0;
      }
    } else {
      offer = await catalog.newest(compatible);
      if (offer && compareVersions(offer.version, current) <= 0) offer = undefined;
    }
    if (!offer) {
      res.writeHead(204);
      res.end();
      return;
    }
    // A client-chosen Host must not decide where devices download from.
    const base = publicBase;
    const body = { version: offer.version, bundle_url: `${base}/bundles/${encodeURIComponent(offer.name)}`, sha256: offer.sha256, size: offer.size, ...(downgrade ? { downgrade: true } : {}) };
    send(res, 200, JSON.stringify(body) + "\n", { "Content-Type": "application/json" });
  }

  async function bundle(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
    const entry = (await catalog.entries()).find((e) => e.name === name);
    if (!entry) return send(res, 404, "no such bundle\n");
    const size = entry.size;
    const headers: Record<string, string | number> = { "Content-Type": "application/octet-stream", "Accept-Ranges": "bytes", ETag: `"${entry.sha256}"` };
    const range = header(req, "range");
    let start = 0;
    let end = size - 1;
    if (range) {
      const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
      if (!m || (m[1] === "" && m[2] === "")) return send(res, 416, "only one byte range is supported\n", { "Content-Range": `bytes */${size}` });
      if (m[1] === "") {
        start = Math.max(0, size - Number(m[2]));
      } else {
        start = Number(m[1]);
        if (m[2] !== "") end = Math.min(end, Number(m[2]));
      }
      if (start >= size || start > end) return send(res, 416, "range not satisfiable\n", { "Content-Range": `bytes */${size}` });
      head(res, 206, { ...headers, "Content-Length": end - start + 1, "Content-Range": `bytes ${start}-${end}/${size}` });
    } else {
      head(res, 200, { ...headers, "Content-Length": size });
    }
    if (req.method === "HEAD") {
      res.end();
      return;
    }
    const stream = createReadStream(entry.path, { start, end });
    stream.on("error", () => res.destroy());
    stream.pipe(res);
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port ?? 8000, o.host ?? "127.0.0.1", () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  publicBase = o.publicUrl?.replace(/\/+$/, "") ?? `http://${host}:${addr.port}`;
  return {
    server,
    url: `http://${host}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Headers set one by one so the request log can read Content-Length back. */
function head(res: ServerResponse, status: number, headers: Record<string, string | number>): void {
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.writeHead(status);
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  head(res, status, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": Buffer.byteLength(body), ...headers });
  res.end(body);
}
