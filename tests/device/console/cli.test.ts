import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect } from "vitest";
import { scenario } from "../../../conformance/binding.js";
import { configToml, key, keysDir, multipart, startHarness, type Harness } from "./harness.js";

const onHost = { targets: ["host"] } as const;
const REPO = join(import.meta.dirname, "..", "..", "..");
const CLI = join(REPO, "bin", "atomicnix.js");
const open: Harness[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const h of open) await h.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  rmSync(keysDir, { recursive: true, force: true });
});

scenario("console.compat.reference-clients", onHost, async () => {
  const text = configToml([key("k").publicLine]);
  const a = await startHarness();
  open.push(a);
  const r = await a.req("POST", "/api/config", { headers: { "Content-Type": "text/plain" }, body: text });
  expect(r.status, r.body).toBe(200);
  expect(r.json).toMatchObject({ ok: true });
  expect(readFileSync(join(a.configRoot, "config.toml"), "utf8")).toBe(text);

  const b = await startHarness();
  open.push(b);
  const form = multipart({ config: { filename: "config.toml", data: Buffer.from(text) } });
  const f = await b.req("POST", "/apply", { headers: { "Content-Type": form.type }, body: form.body });
  expect(f.status, f.body).toBe(200);
  expect(f.headers["content-type"]).toBe("text/html; charset=utf-8");
  expect(f.body).toContain("Configuration applied.");
  expect(readFileSync(join(b.configRoot, "config.toml"), "utf8")).toBe(text);

  const c = await startHarness();
  open.push(c);
  const before = c.snapshot();
  const x = await c.req("POST", "/api/config", { headers: { "Content-Type": "text/plain", Origin: "http://evil.example" }, body: text });
  expect(x.status).toBe(403);
  expect(c.snapshot()).toEqual(before);
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function curl(args: string[]): { status: number; body: string } {
  const r = spawnSync("curl", ["-sS", "-o", "-", "-w", "\n%{http_code}", ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`curl failed: ${r.stderr}`);
  const i = r.stdout.lastIndexOf("\n");
  return { status: Number(r.stdout.slice(i + 1)), body: r.stdout.slice(0, i) };
}

scenario("console.cli.loopback", { ...onHost, timeout: 60_000 }, async () => {
  const data = mkdtempSync(join(tmpdir(), "atomicnix-console-cli-"));
  dirs.push(data);
  // A systemctl that records every call: --no-apply must never reach it.
  const bin = join(data, "bin");
  spawnSync("mkdir", ["-p", bin]);
  writeFileSync(join(bin, "systemctl"), `#!/bin/sh\necho "$@" >> ${join(data, "systemctl.log")}\n`);
  chmodSync(join(bin, "systemctl"), 0o755);
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, "console", "--data-dir", data, "--listen", `127.0.0.1:${port}`, "--no-apply"], {
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (d: Buffer) => d.toString().includes(`http://127.0.0.1:${port}/`) && resolve());
      child.once("exit", (code) => reject(new Error(`console exited ${code}: ${stderr}`)));
    });
    const text = configToml([key("k").publicLine]);
    writeFileSync(join(data, "config.toml"), text);
    const post = curl(["-H", "Content-Type: application/toml", "--data-binary", `@${join(data, "config.toml")}`, `http://127.0.0.1:${port}/api/config`]);
    expect(post.status, post.body).toBe(200);
    const json = JSON.parse(post.body);
    expect(json.ok).toBe(true);
    expect(json.applied).toEqual([]);
    expect(readFileSync(join(data, "config", "config.toml"), "utf8")).toBe(text);
    expect(existsSync(join(data, "systemctl.log"))).toBe(false);
    const page = curl([`http://127.0.0.1:${port}/`]);
    expect(page.status).toBe(200);
    expect(page.body).toContain("<form");
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
  }
  for (const [args, option] of [[["--listen", "nowhere"], "--listen"], [["--trust", "10.0.0.0/33"], "--trust"]] as const) {
    const r = spawnSync(process.execPath, [CLI, "console", "--data-dir", data, ...args], { encoding: "utf8", timeout: 30_000 });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain(option);
  }
});
