import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { APPLY_UNITS, LAN_UNIT, restartUnits, spawnRunner, type CommandRunner } from "./apply.js";
import { BUNDLE_LIMIT, BodyError, TOML_LIMIT, multipartBoundary, parseMultipart, parseUrlEncoded, readBody, type FormPart } from "./body.js";
import { GENERATE_FIELDS, buildConfigToml, fieldForPath, type FieldErrors, type GenerateFields } from "./generate.js";
import { renderPage, type PageModel } from "./page.js";
import { addressInCidrs, readConsoleLan, type ConsoleLan } from "./settings.js";
import { CONSOLE_NAMESPACE } from "./sshsig.js";
import { consolePaths, forgetSignature, isProvisioned, recordSignature } from "./state.js";
import { RAW_TYPES, Refusal, authorise, mediaType, readSubmission, type Issue, type Submission } from "./submission.js";

export type ValidateConfigText = (text: string) => { ok: true; warnings: Issue[] } | { ok: false; errors: Issue[] };
export type ImportConfig = (
  input: { bytes: Uint8Array; filename?: string },
  root: string,
) => Promise<{ ok: true; generation: string; warnings: Issue[] } | { ok: false; errors: Issue[] }>;

export interface ConsoleOptions {
  /** /data on a device: config/, .completed_first_boot and bootstrap-console/ live under it */
  dataDir: string;
  importConfig: ImportConfig;
  validateConfigText: ValidateConfigText;
  /** runs `systemctl restart UNIT`; tests record the commands instead */
  run?: CommandRunner;
  /** CIDRs accepted as peers besides the LAN subnet (loopback, a management network) */
  trustedPeers?: readonly string[];
  /** names (addresses) besides the gateway's accepted in Host and Origin, e.g. the --listen address */
  extraHosts?: readonly string[];
  /** false: store the configuration and restart nothing (`atomicnix console --no-apply`, hosts without systemd) */
  apply?: boolean;
  /** port expected in Host and Origin; default the port the server listens on */
  publicPort?: number;
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  log?: (line: string) => void;
}

const SECURITY_HEADERS: Record<string, string> = {
  "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Cache-Control": "no-store",
  // Not no-referrer: under it Chromium sends `Origin: null` with the page's own form posts.
  "Referrer-Policy": "same-origin",
};

/** `/apply` is the reference console's form target; it is the page's own POST / under another name. */
const ROUTES: Record<string, string[]> = { "/": ["GET", "HEAD", "POST"], "/apply": ["POST"], "/generate": ["POST"], "/api/config": ["POST"] };

/** An answer in both renderings: JSON for /api, the page for the form. */
interface Outcome {
  status: number;
  ok: boolean;
  message?: string;
  error?: string;
  errors?: Issue[];
  warnings?: Issue[];
  applied?: string[];
  location?: string;
  /** page field the error belongs to */
  field?: string;
}

export function createConsoleServer(opts: ConsoleOptions): Server {
  const paths = consolePaths(opts.dataDir);
  const run = opts.run ?? spawnRunner;
  const log = opts.log ?? ((line: string) => process.stderr.write(`bootstrap-console: ${line}\n`));
  const validate = opts.validateConfigText;
  let busy = false;

  const server = createServer({
    maxHeaderSize: 16 * 1024,
    headersTimeout: opts.headersTimeoutMs ?? 10_000,
    requestTimeout: opts.requestTimeoutMs ?? 120_000,
    // Node checks the two timeouts above only this often (default 30 s): check every second.
    connectionsCheckingInterval: 1000,
    keepAliveTimeout: 5000,
  });
  server.maxHeadersCount = 64;
  server.maxConnections = 256;

  const provisioned = () => isProvisioned(paths, (t) => validate(t).ok);
  const port = () => opts.publicPort ?? (server.address() as AddressInfo | null)?.port ?? 8080;

  function allowedHosts(lan: ConsoleLan): string[] {
    const names = [lan.gatewayIp, ...lan.aliases, ...lan.aliases.map((a) => `${a}.${lan.domain}`), ...(opts.extraHosts ?? [])];
    return names.map((n) => `${n.toLowerCase()}:${port()}`);
  }

  function send(res: ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}): void {
    if (res.headersSent) return;
    res.writeHead(status, { ...SECURITY_HEADERS, "Content-Type": type, "Content-Length": String(Buffer.byteLength(body)), ...extra });
    res.end(body);
  }

  function sendJson(res: ServerResponse, o: Outcome, extra: Record<string, string> = {}): void {
    const doc: Record<string, unknown> = { ok: o.ok };
    for (const k of ["message", "error", "errors", "warnings", "applied", "location"] as const) if (o[k] !== undefined) doc[k] = o[k];
    send(res, o.status, "application/json; charset=utf-8", JSON.stringify(doc) + "\n", extra);
  }

  function pageModel(req: IncomingMessage, m: Partial<PageModel>): PageModel {
    return { provisioned: provisioned(), origin: `http://${req.headers.host ?? ""}`, errors: new Map(), ...m };
  }

  function sendPage(req: IncomingMessage, res: ServerResponse, status: number, m: Partial<PageModel>, extra: Record<string, string> = {}): void {
    send(res, status, "text/html; charset=utf-8", renderPage(pageModel(req, m)), extra);
  }

  /** Answers a refusal in the rendering of the route; connection-closing when the body was not read. */
  function refuse(req: IncomingMessage, res: ServerResponse, status: number, message: string, extra: Record<string, string> = {}): void {
    if ((req.url ?? "").startsWith("/api/")) return sendJson(res, { status, ok: false, error: message }, extra);
    send(res, status, "text/html; charset=utf-8", `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${status}</title></head><body><h1>${status} ${STATUS_CODES[status] ?? ""}</h1><p>${message.replace(/[<>&]/g, "")}</p></body></html>\n`, extra);
  }

  /** Stops reading a body we will not use: answer, then close, draining (not storing) what is still in flight. */
  function closeAfter(req: IncomingMessage, res: ServerResponse): Record<string, string> {
    res.once("finish", () => {
      req.resume();
      const socket = req.socket;
      socket.end();
      setTimeout(() => socket.destroy(), 2000).unref();
    });
    return { Connection: "close" };
  }

  /** Same-origin rule of console.csrf; checked before any body byte is read. */
  function crossSite(req: IncomingMessage, lan: ConsoleLan): string | undefined {
    const site = String(req.headers["sec-fetch-site"] ?? "").toLowerCase();
    if (site === "cross-site" || site === "same-site") return `cross-site request refused (Sec-Fetch-Site: ${site})`;
    const origin = req.headers.origin;
    if (origin === undefined) return undefined;
    const own = allowedHosts(lan).map((h) => `http://${h}`);
    if (!own.includes(origin.toLowerCase())) return `cross-origin request refused (Origin: ${origin})`;
    return undefined;
  }

  /** Import and apply, one at a time (console.robust); `early` sends the 202 before the LAN moves. */
  async function importAndApply(sub: Submission, early: (o: Outcome) => Promise<void>): Promise<Outcome | undefined> {
    const auth = authorise(sub, paths, provisioned());
    if (auth.digest && !auth.alreadyAccepted) recordSignature(paths, auth.digest);
    const before = readConsoleLan(paths.configRoot);
    let result: Awaited<ReturnType<ImportConfig>>;
    try {
      result = await opts.importConfig({ bytes: sub.bytes, ...(sub.filename ? { filename: sub.filename } : {}) }, paths.configRoot);
    } catch (e) {
      if (auth.digest && !auth.alreadyAccepted) forgetSignature(paths, auth.digest);
      throw e;
    }
    if (!result.ok) {
      if (auth.digest && !auth.alreadyAccepted) forgetSignature(paths, auth.digest);
      const first = result.errors[0];
      const summary = `${result.errors.length} error${result.errors.length === 1 ? "" : "s"} in the configuration${first ? `; first: ${first.path}: ${first.message}` : ""}`;
      return { status: 400, ok: false, error: summary, errors: result.errors, field: sub.field };
    }
    log(`imported generation ${result.generation}${auth.digest ? ` (signature ${auth.digest.slice(0, 16)})` : " (unsigned, first provisioning)"}`);
    const warnings = result.warnings.length ? result.warnings : undefined;
    if (opts.apply === false) {
      return { status: 200, ok: true, message: `Configuration stored (generation ${result.generation}); nothing restarted (--no-apply).`, applied: [], ...(warnings ? { warnings } : {}) };
    }
    const first = await restartUnits(run, APPLY_UNITS.filter((u) => u !== LAN_UNIT));
    if (first.failed) return failedApply(first.applied, first.failed.unit, first.failed.output);
    const after = readConsoleLan(paths.configRoot);
    if (after.gatewayIp !== before.gatewayIp) {
      const location = `http://${after.gatewayIp}:${port()}/`;
      await early({ status: 202, ok: true, message: `Configuration stored; the LAN moves and the console will answer at ${location}`, applied: first.applied, location, ...(warnings ? { warnings } : {}) });
      const lan = await restartUnits(run, [LAN_UNIT]);
      if (lan.failed) log(`${LAN_UNIT} failed after the answer was sent: ${lan.failed.output}`);
      return undefined;
    }
    const lan = await restartUnits(run, [LAN_UNIT]);
    if (lan.failed) return failedApply(first.applied, lan.failed.unit, lan.failed.output);
    return { status: 200, ok: true, message: "Configuration applied.", applied: [...first.applied, ...lan.applied], ...(warnings ? { warnings } : {}) };
  }

  function failedApply(applied: string[], unit: string, output: string): Outcome {
    log(`apply failed at ${unit}: ${output}`);
    return { status: 500, ok: false, error: `configuration stored, but ${unit} failed${output ? `: ${output.split("\n")[0]}` : ""}`, applied };
  }

  function answer(req: IncomingMessage, res: ServerResponse, api: boolean, o: Outcome, sub?: Submission): Promise<void> {
    return new Promise((resolve) => {
      res.once("finish", resolve);
      res.once("close", resolve);
      if (api) return sendJson(res, o);
      const errors: FieldErrors = new Map();
      const field = o.field ?? "form";
      if (!o.ok) errors.set(field, o.errors?.length ? o.errors.map((e) => `${e.path}: ${e.message}`) : [o.error ?? "refused"]);
      const notice = o.ok
        ? { kind: "ok" as const, title: o.message ?? "Done.", lines: [...(o.warnings ?? []).map((w) => `${w.path}: ${w.message}`), ...(o.applied?.length ? [`Restarted: ${o.applied.join(", ")}`] : [])] }
        : { kind: "error" as const, title: o.error ?? "Refused." };
      sendPage(req, res, o.status, { ...(sub?.text !== undefined ? { configText: sub.text } : {}), errors, notice });
    });
  }

  async function handleSubmit(req: IncomingMessage, res: ServerResponse, api: boolean): Promise<void> {
    const type = mediaType(req);
    const fail = (status: number, message: string, field?: string) => {
      const extra = closeAfter(req, res);
      if (api) return sendJson(res, { status, ok: false, error: message }, extra);
      return sendPage(req, res, status, { errors: new Map([[field ?? "form", [message]]]), notice: { kind: "error", title: message } }, extra);
    };
    if (!(type === "multipart/form-data" || (api && RAW_TYPES.has(type)))) {
      return fail(415, `unsupported Content-Type "${type || "(none)"}"; use ${api ? "application/toml, text/plain, application/gzip, application/zstd, application/octet-stream or " : ""}multipart/form-data`);
    }
    const length = Number(req.headers["content-length"] ?? "0");
    if (length > BUNDLE_LIMIT) return fail(413, `request body of ${length} bytes is larger than ${BUNDLE_LIMIT} bytes`);
    // Refuse what can be refused without reading the body: no signature on a raw post, or an import in progress.
    if (api && RAW_TYPES.has(type) && req.headers["x-atomicnix-signature"] === undefined && provisioned()) {
      return fail(401, `this gateway is provisioned: a change needs a signature by an admin key (X-AtomicNix-Signature, ssh-keygen -Y sign -n ${CONSOLE_NAMESPACE})`);
    }
    if (busy) return fail(409, "another configuration is being applied; try again shortly");
    let sub: Submission;
    try {
      sub = await readSubmission(req, api);
    } catch (e) {
      if (e instanceof BodyError) return fail(e.status, e.message, api ? undefined : "config_text");
      if (e instanceof Refusal) return void (await answer(req, res, api, { status: e.status, ok: false, error: e.message, ...(e.errors ? { errors: e.errors } : {}), ...(e.field ? { field: e.field } : {}) }));
      throw e;
    }
    if (busy) return fail(409, "another configuration is being applied; try again shortly");
    busy = true;
    try {
      let outcome: Outcome | undefined;
      try {
        outcome = await importAndApply(sub, (o) => answer(req, res, api, o, sub));
      } catch (e) {
        if (!(e instanceof Refusal)) throw e;
        outcome = { status: e.status, ok: false, error: e.message, ...(e.field ? { field: e.field } : {}) };
      }
      if (outcome) await answer(req, res, api, outcome, sub);
    } finally {
      busy = false;
    }
  }

  async function handleGenerate(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const type = mediaType(req);
    if (type !== "application/x-www-form-urlencoded" && type !== "multipart/form-data") {
      return send(res, 415, "text/html; charset=utf-8", renderPage(pageModel(req, { errors: new Map([["form", [`unsupported Content-Type "${type || "(none)"}"`]]]) })), closeAfter(req, res));
    }
    let parts: FormPart[];
    try {
      const body = await readBody(req, () => TOML_LIMIT);
      const boundary = multipartBoundary(String(req.headers["content-type"]));
      parts = type === "multipart/form-data" ? parseMultipart(body, boundary ?? "") : parseUrlEncoded(body);
    } catch (e) {
      if (!(e instanceof BodyError)) throw e;
      return sendPage(req, res, e.status, { errors: new Map([["form", [e.message]]]) }, closeAfter(req, res));
    }
    const value = (n: string) => parts.find((p) => p.name === n)?.data.toString("utf8") ?? "";
    const fields = Object.fromEntries(GENERATE_FIELDS.map((f) => [f, value(f)])) as unknown as GenerateFields;
    fields.privileged = ["true", "on", "1"].includes(value("privileged"));
    const { text, errors } = buildConfigToml(fields);
    const result = validate(text);
    if (!result.ok) {
      for (const issue of result.errors) {
        const field = fieldForPath(issue.path, fields.container_name.trim()) ?? "form";
        errors.set(field, [...(errors.get(field) ?? []), `${issue.path}: ${issue.message}`]);
      }
    }
    if (errors.size) return sendPage(req, res, 400, { generate: fields, errors, notice: { kind: "error", title: "The generated configuration is not valid; see the marked fields." } });
    sendPage(req, res, 200, { generate: fields, configText: text, notice: { kind: "ok", title: "Configuration generated and checked. Review it in the text box, then apply it." } });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const lan = readConsoleLan(paths.configRoot);
    const url = req.url ?? "/";
    const path = url.split("?")[0]!;
    if (!addressInCidrs(req.socket.remoteAddress, [lan.subnetCidr, ...(opts.trustedPeers ?? [])])) {
      return refuse(req, res, 403, `clients outside the LAN ${lan.subnetCidr} are refused`, closeAfter(req, res));
    }
    const host = String(req.headers.host ?? "").toLowerCase();
    if (!allowedHosts(lan).includes(host)) return refuse(req, res, 403, `unknown Host "${host}"`, closeAfter(req, res));
    const methods = ROUTES[path];
    if (!methods) return refuse(req, res, 404, "no such page", req.method === "GET" || req.method === "HEAD" ? {} : closeAfter(req, res));
    if (!methods.includes(req.method ?? "")) return refuse(req, res, 405, `method ${req.method} is not allowed here`, { Allow: methods.join(", "), ...closeAfter(req, res) });
    if (req.method === "GET" || req.method === "HEAD") return sendPage(req, res, 200, {});
    const cross = crossSite(req, lan);
    if (cross) return refuse(req, res, 403, cross, closeAfter(req, res));
    if (path === "/generate") return handleGenerate(req, res);
    return handleSubmit(req, res, path === "/api/config");
  }

  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((e: unknown) => {
      log(`internal error on ${req.method} ${req.url}: ${(e as Error).stack ?? e}`);
      // The cause goes to the client too: the console is LAN-only and the operator needs it to act.
      if (!res.headersSent) refuse(req, res, 500, `internal error: ${(e as Error).message ?? String(e)}; the stored configuration is unchanged unless the log says otherwise`, closeAfter(req, res));
      else res.destroy();
    });
  });

  // Malformed HTTP ends only its own connection (console.robust).
  server.on("clientError", (err: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable || err.code === "ECONNRESET" || err.code === "EPIPE") return void socket.destroy();
    const status = err.code === "HPE_HEADER_OVERFLOW" ? 431 : err.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    setTimeout(() => socket.destroy(), 1000).unref();
  });
  server.on("connection", (socket: Socket) => socket.on("error", () => socket.destroy()));
  return server;
}

/** Starts the console on host:port (port 0 = any free port, for tests). */
export function startConsole(opts: ConsoleOptions & { host: string; port: number }): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  const server = createConsoleServer(opts);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: opts.host, port: opts.port, exclusive: true }, () => {
      server.off("error", reject);
      const port = (server.address() as AddressInfo).port;
      resolve({
        server,
        port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
