import { request } from "node:http";
import { connect } from "node:net";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { validators } from "../../../generated/validators/index.js";
import type { CommandRunner } from "../../../device/console/apply.js";
import { startConsole } from "../../../device/console/server.js";
import { loadProvisioning, type Provisioning } from "./provisioning.js";
import { makeKey, type TestKey } from "./ssh-tools.js";

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json?: any;
}

export interface Harness {
  dataDir: string;
  configRoot: string;
  port: number;
  host: string;
  commands: string[][];
  failUnit: { name?: string };
  /** the recorded restart of `unit` does not return until `until` resolves */
  hold: { unit?: string; until?: Promise<void>; finished: string[] };
  prov: Provisioning;
  req(method: string, path: string, opts?: { headers?: Record<string, string>; body?: string | Buffer }): Promise<Reply>;
  /** every file under the data dir with its bytes, to prove "nothing stored/unchanged" */
  snapshot(): Map<string, string>;
  close(): Promise<void>;
}

export const keysDir = mkdtempSync(join(tmpdir(), "atomicnix-console-keys-"));
let keyCache: Record<string, TestKey> = {};
export function key(name: string): TestKey {
  return (keyCache[name] ??= makeKey(keysDir, name, "ed25519"));
}

export function configToml(adminKeys: string[], extra: { tcp?: number[]; gatewayCidr?: string; comment?: string } = {}): string {
  return [
    extra.comment ? `# ${extra.comment}` : "# test configuration",
    "version = 1",
    "",
    "[admin]",
    `ssh_keys = [${adminKeys.map((k) => JSON.stringify(k)).join(", ")}]`,
    "",
    "[firewall.inbound]",
    `tcp = [${(extra.tcp ?? [443]).join(", ")}]`,
    "",
    "[health]",
    'required = ["web"]',
    "",
    ...(extra.gatewayCidr ? ["[lan]", `gateway_cidr = "${extra.gatewayCidr}"`, ""] : []),
    "[container.web]",
    "privileged = false",
    "",
    "[container.web.Container]",
    'Image = "ghcr.io/example/web:1"',
    'PublishPort = ["10080:80"]',
    "",
  ].join("\n");
}

function walk(dir: string, base: string, out: Map<string, string>): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names.sort()) {
    const p = join(dir, name);
    const rel = join(base, name);
    let st;
    try {
      st = statSync(p);
    } catch {
      out.set(rel, "(dangling)");
      continue;
    }
    if (st.isDirectory()) walk(p, rel, out);
    else out.set(rel, readFileSync(p).toString("base64"));
  }
}

export async function startHarness(opts: { provisionWith?: string } = {}): Promise<Harness> {
  const dataDir = mkdtempSync(join(tmpdir(), "atomicnix-console-"));
  const configRoot = join(dataDir, "config");
  const prov = await loadProvisioning();
  if (opts.provisionWith !== undefined) {
    const r = await prov.importConfig({ bytes: Buffer.from(opts.provisionWith) }, configRoot);
    if (!r.ok) throw new Error(`test state not provisioned: ${JSON.stringify(r.errors)}`);
  }
  const commands: string[][] = [];
  const failUnit: { name?: string } = {};
  const hold: Harness["hold"] = { finished: [] };
  const run: CommandRunner = async (argv) => {
    commands.push([...argv]);
    if (hold.unit && argv.includes(hold.unit)) await hold.until;
    hold.finished.push(argv.at(-1)!);
    return failUnit.name && argv.includes(failUnit.name) ? { code: 1, output: `Job for ${failUnit.name} failed.` } : { code: 0, output: "" };
  };
  const c = await startConsole({
    host: "127.0.0.1",
    port: 0,
    dataDir,
    importConfig: prov.importConfig,
    validateConfigText: prov.validateConfigText,
    run,
    trustedPeers: ["127.0.0.0/8"],
    log: () => {},
  });
  const host = `172.20.30.1:${c.port}`;
  return {
    dataDir,
    configRoot,
    port: c.port,
    host,
    commands,
    failUnit,
    hold,
    prov,
    req: (method, path, o = {}) =>
      new Promise<Reply>((resolve, reject) => {
        const r = request({ host: "127.0.0.1", port: c.port, method, path, headers: { host, ...(o.headers ?? {}) }, agent: false }, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (d: Buffer) => chunks.push(d));
          res.on("end", () => {
            const body = Buffer.concat(chunks).toString("utf8");
            const reply: Reply = { status: res.statusCode ?? 0, headers: res.headers, body };
            if (String(res.headers["content-type"]).startsWith("application/json")) {
              reply.json = JSON.parse(body);
              if (!validators["console-response"](reply.json)) throw new Error(`answer violates console-response: ${JSON.stringify(validators["console-response"].errors)} ${body}`);
            }
            resolve(reply);
          });
        });
        r.on("error", reject);
        r.end(o.body);
      }),
    snapshot: () => {
      const out = new Map<string, string>();
      walk(dataDir, "", out);
      return out;
    },
    close: async () => {
      await c.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Builds a multipart/form-data body as a browser would. */
export function multipart(fields: Record<string, string | { filename: string; data: Buffer }>): { body: Buffer; type: string } {
  const boundary = "----atomicnixTestBoundary" + Math.random().toString(16).slice(2);
  const parts: Buffer[] = [];
  for (const [name, v] of Object.entries(fields)) {
    if (typeof v === "string") parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${v}\r\n`));
    else parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${v.filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`), v.data, Buffer.from("\r\n"));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), type: `multipart/form-data; boundary=${boundary}` };
}

/**
 * Raw socket exchange: writes `head`, then up to `bodyBytes` bytes from `chunk` (respecting
 * backpressure) until the server answers or closes; returns the answer text and how many
 * body bytes were written before the status line arrived.
 */
export function rawExchange(port: number, head: string, body?: { chunk: Buffer; bytes: number; chunked?: boolean }, timeoutMs = 20_000): Promise<{ text: string; written: number; writtenBeforeAnswer: number }> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port });
    let text = "";
    let written = 0;
    let beforeAnswer = -1;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ text, written, writtenBeforeAnswer: beforeAnswer < 0 ? written : beforeAnswer });
    };
    const timer = setTimeout(finish, timeoutMs);
    s.on("data", (d: Buffer) => {
      if (beforeAnswer < 0) beforeAnswer = written;
      text += d.toString("latin1");
    });
    s.on("error", () => finish());
    s.on("close", finish);
    s.on("connect", () => {
      s.write(head);
      if (!body) return;
      const pump = () => {
        while (!finished && beforeAnswer < 0 && written < body.bytes) {
          const n = Math.min(body.chunk.length, body.bytes - written);
          const data = body.chunk.subarray(0, n);
          const frame = body.chunked ? Buffer.concat([Buffer.from(n.toString(16) + "\r\n"), data, Buffer.from("\r\n")]) : data;
          written += n;
          if (!s.write(frame)) return void s.once("drain", pump);
        }
        if (!finished && beforeAnswer < 0 && body.chunked && written >= body.bytes) s.write("0\r\n\r\n");
      };
      pump();
    });
  });
}
