import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect } from "vitest";
import { scenario } from "../../../conformance/binding.js";
import { dearmor } from "../../../device/console/sshsig.js";
import { configToml, key, keysDir, multipart, rawExchange, startHarness, type Harness } from "./harness.js";
import { sigHeader, sshSign } from "./ssh-tools.js";

const onHost = { targets: ["host"] } as const;
const open: Harness[] = [];
afterAll(async () => {
  for (const h of open) await h.close();
  rmSync(keysDir, { recursive: true, force: true });
});
async function harness(provisionWith?: string): Promise<Harness> {
  const h = await startHarness(provisionWith === undefined ? {} : { provisionWith });
  open.push(h);
  return h;
}
const toml = { "Content-Type": "application/toml" };
const stored = (h: Harness) => (existsSync(join(h.configRoot, "config.toml")) ? readFileSync(join(h.configRoot, "config.toml"), "utf8") : undefined);

scenario("console.page.content", onHost, async () => {
  const h = await harness();
  const r = await h.req("GET", "/");
  expect(r.status).toBe(200);
  expect(r.headers["content-type"]).toBe("text/html; charset=utf-8");
  expect(r.body).toMatch(/<form method="post" action="\/" enctype="multipart\/form-data">/);
  expect(r.body).toMatch(/<textarea name="config_text"/);
  expect(r.body).toMatch(/<input type="file" name="config_file"/);
  expect(r.body).toMatch(/<form method="post" action="\/generate">/);
  expect(r.body).not.toMatch(/<script/i);
  const urls = [...r.body.matchAll(/\b(?:https?:)?\/\/[^\s"'<)]+/g)].map((m) => m[0]);
  expect(urls.filter((u) => !u.startsWith(`http://${h.host}`))).toEqual([]);
  expect(r.headers["content-security-policy"]).toBe("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  expect(r.headers["x-content-type-options"]).toBe("nosniff");
  expect(r.headers["x-frame-options"]).toBe("DENY");
  expect(r.headers["cache-control"]).toBe("no-store");
  expect(r.body).not.toMatch(/name="signature"/);

  const p = await harness(configToml([key("k").publicLine]));
  const pr = await p.req("GET", "/");
  expect(pr.body).toMatch(/name="signature"/);
  expect(pr.body).toContain("ssh-keygen -Y sign -n atomicnix-config");
});

scenario("console.page.inline-errors", onHost, async () => {
  const h = await harness();
  const text = configToml([key("k").publicLine], { tcp: [70000] });
  const form = multipart({ config_text: text.replace(/\n/g, "\r\n") });
  const before = h.snapshot();
  const r = await h.req("POST", "/", { headers: { "Content-Type": form.type, Origin: `http://${h.host}` }, body: form.body });
  expect(r.status).toBe(400);
  const m = /<textarea name="config_text"[^>]*>\n([\s\S]*?)<\/textarea>(<ul class="errors" id="config_text-errors">[\s\S]*?<\/ul>)/.exec(r.body);
  expect(m, "textarea directly followed by its error list").not.toBeNull();
  expect(m![1]!.replace(/&quot;/g, '"').replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&#39;/g, "'").replace(/&amp;/g, "&")).toBe(text);
  expect(m![2]).toMatch(/<li>firewall\.inbound\.tcp\[0\]: /);
  expect(h.snapshot()).toEqual(before);
});

scenario("console.api.accepted", onHost, async () => {
  const h = await harness();
  const text = configToml([key("k").publicLine]);
  const r = await h.req("POST", "/api/config", { headers: toml, body: text });
  expect(r.status).toBe(200);
  expect(r.json).toMatchObject({ ok: true, message: "Configuration applied." });
  expect(stored(h)).toBe(text);

  // A zstd bundle posted as octet-stream on a fresh state (made by the real tar and zstd).
  const h2 = await harness();
  const dir = mkdtempSync(join(tmpdir(), "atomicnix-bundle-"));
  const text2 = configToml([key("k").publicLine], { comment: "from a bundle" });
  writeFileSync(join(dir, "config.toml"), text2);
  execFileSync("sh", ["-c", `cd ${dir} && tar -cf - config.toml | zstd -q -c > config.tar.zst`]);
  const bundle = readFileSync(join(dir, "config.tar.zst"));
  rmSync(dir, { recursive: true, force: true });
  const b = await h2.req("POST", "/api/config", { headers: { "Content-Type": "application/octet-stream" }, body: bundle });
  expect(b.status, b.body).toBe(200);
  expect(b.json).toMatchObject({ ok: true, message: "Configuration applied." });
  expect(stored(h2)).toBe(text2);
});

scenario("console.api.rejected", onHost, async () => {
  const h = await harness();
  const text = configToml([key("k").publicLine], { tcp: [70000] }).replace("version = 1", "version = 2") + "extra = 1\n";
  const bad = text.replace(/\nextra = 1\n$/, "\n").replace("[admin]", "extra = 1\n\n[admin]");
  const before = h.snapshot();
  const r = await h.req("POST", "/api/config", { headers: toml, body: bad });
  expect(r.status).toBe(400);
  expect(r.json.ok).toBe(false);
  expect(r.json.error).toMatch(/error/);
  expect(r.json.errors.length).toBeGreaterThanOrEqual(3);
  // Same pairs, same order as the shared validator (the one `atomicnix-provision validate --json` prints).
  const v = h.prov.validateConfigText(bad);
  expect(v.ok).toBe(false);
  if (!v.ok) expect(r.json.errors.map((e: any) => [e.path, e.message])).toEqual(v.errors.map((e) => [e.path, e.message]));
  const file = join(h.dataDir, "..", `bad-${h.port}.toml`);
  writeFileSync(file, bad);
  const cli = spawnSync("npx", ["atomicnix", "provision", "validate", file, "--json"], { encoding: "utf8" });
  rmSync(file);
  if (cli.status === 1) expect(r.json.errors.map((e: any) => [e.path, e.message])).toEqual(JSON.parse(cli.stdout).errors.map((e: any) => [e.path, e.message]));
  expect(h.snapshot()).toEqual(before);
});

scenario("console.http-errors.method-path", onHost, async () => {
  const h = await harness();
  const get = await h.req("GET", "/api/config");
  const put = await h.req("PUT", "/api/config", { body: "x" });
  const del = await h.req("DELETE", "/");
  const nope = await h.req("GET", "/nope");
  expect([get.status, put.status, del.status, nope.status]).toEqual([405, 405, 405, 404]);
  expect(get.headers.allow).toBe("POST");
  expect(put.headers.allow).toBe("POST");
  expect(del.headers.allow).toBe("GET, HEAD, POST");
  expect(get.json.ok).toBe(false);
  expect(put.json.ok).toBe(false);
});

scenario("console.http-errors.size-type", { targets: ["host"], timeout: 60_000 }, async () => {
  const h = await harness();
  const before = h.snapshot();
  const head = (extra: string) => `POST /api/config HTTP/1.1\r\nHost: ${h.host}\r\n${extra}\r\n`;
  // Declared too large: 413 before any body byte is sent.
  const declared = await rawExchange(h.port, head("Content-Type: application/octet-stream\r\nContent-Length: 67108865\r\n"));
  expect(declared.text).toMatch(/^HTTP\/1\.1 413 /);
  expect(declared.written).toBe(0);
  // Raw TOML of 1 MiB + 1 byte: refused once the limit is crossed.
  const tomlChunk = Buffer.alloc(64 * 1024, "#");
  const overToml = await rawExchange(h.port, head(`Content-Type: application/toml\r\nContent-Length: ${1024 * 1024 + 1}\r\n`), { chunk: tomlChunk, bytes: 1024 * 1024 + 1 });
  expect(overToml.text).toMatch(/^HTTP\/1\.1 413 /);
  // A chunked zstd body streamed past 64 MiB: refused while streaming, long before the sender is done.
  const zchunk = Buffer.alloc(256 * 1024, 0);
  zchunk.set([0x28, 0xb5, 0x2f, 0xfd]);
  const overZstd = await rawExchange(h.port, head("Content-Type: application/zstd\r\nTransfer-Encoding: chunked\r\n"), { chunk: zchunk, bytes: 80 * 1024 * 1024, chunked: true });
  expect(overZstd.text).toMatch(/^HTTP\/1\.1 413 /);
  expect(overZstd.writtenBeforeAnswer).toBeLessThan(80 * 1024 * 1024);
  expect(overZstd.writtenBeforeAnswer).toBeGreaterThan(64 * 1024 * 1024);
  for (const type of ["application/x-www-form-urlencoded", "application/json", undefined]) {
    const r = await h.req("POST", "/api/config", { headers: type ? { "Content-Type": type } : {}, body: configToml([key("k").publicLine]) });
    expect(r.status, String(type)).toBe(415);
    expect(r.json.ok).toBe(false);
  }
  expect(h.snapshot()).toEqual(before);
});

scenario("console.csrf.cross-origin", onHost, async () => {
  const h = await harness();
  const body = configToml([key("k").publicLine]);
  const before = h.snapshot();
  const refused = [
    await h.req("POST", "/api/config", { headers: { ...toml, Origin: "http://evil.example" }, body }),
    await h.req("POST", "/api/config", { headers: { ...toml, "Sec-Fetch-Site": "cross-site" }, body }),
    await h.req("POST", "/api/config", { headers: { ...toml, Host: `evil.example:${h.port}` }, body }),
  ];
  expect(refused.map((r) => r.status)).toEqual([403, 403, 403]);
  expect(h.snapshot()).toEqual(before);
  // Each accepted post must land on an unprovisioned state: use a fresh console for each.
  const accepted: number[] = [];
  for (const origin of [`http://172.20.30.1:PORT`, `http://atomicnix:PORT`, undefined]) {
    const f = await harness();
    const r = await f.req("POST", "/api/config", { headers: { ...toml, ...(origin ? { Origin: origin.replace("PORT", String(f.port)) } : {}) }, body });
    accepted.push(r.status);
    for (const k of Object.keys(r.headers)) expect(k).not.toMatch(/^(set-cookie|access-control-)/);
  }
  expect(accepted).toEqual([200, 200, 200]);
  const g = await h.req("GET", "/", { headers: { Host: `evil.example:${h.port}` } });
  expect(g.status).toBe(403);
  const o = await h.req("OPTIONS", "/api/config");
  expect(o.status).toBe(405);
  for (const r of [...refused, g, o]) for (const k of Object.keys(r.headers)) expect(k).not.toMatch(/^(set-cookie|access-control-)/);
});

scenario("console.generate.form", onHost, async () => {
  const h = await harness();
  const before = h.snapshot();
  const fields = { ssh_keys: key("k").publicLine, wan_tcp: "443, 8443", container_name: "web", container_image: "ghcr.io/example/web:1", publish_ports: "10080:80" };
  const r = await h.req("POST", "/generate", { headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(fields).toString() });
  expect(r.status).toBe(200);
  const m = /<textarea name="config_text"[^>]*>\n([\s\S]*?)<\/textarea>/.exec(r.body);
  const text = m![1]!.replace(/&quot;/g, '"').replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&#39;/g, "'").replace(/&amp;/g, "&");
  expect(h.prov.validateConfigText(text).ok).toBe(true);
  expect(text).toMatch(/required = \[\s*"web"\s*\]/);
  expect(text).toMatch(/privileged = false/);
  expect(h.snapshot()).toEqual(before);
  const bad = await h.req("POST", "/generate", { headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ ...fields, ssh_keys: "not-a-key" }).toString() });
  expect(bad.status).toBe(400);
  expect(bad.body).toMatch(/<\/textarea><ul class="errors" id="ssh_keys-errors"><li>admin\.ssh_keys\[0\]: /);
  expect(h.snapshot()).toEqual(before);
});

scenario("console.signed.required", { targets: ["host"], timeout: 60_000 }, async () => {
  const K = key("K");
  const L = key("L");
  const h = await harness(configToml([K.publicLine]));
  const changed = configToml([K.publicLine], { tcp: [8443] });
  const post = (headers: Record<string, string>) => h.req("POST", "/api/config", { headers: { ...toml, ...headers }, body: changed });
  const s0 = h.snapshot();
  const none = await post({});
  const byL = await post({ "X-AtomicNix-Signature": sigHeader(sshSign(L, changed)) });
  const fileNs = await post({ "X-AtomicNix-Signature": sigHeader(sshSign(K, changed, "file")) });
  const otherBytes = await post({ "X-AtomicNix-Signature": sigHeader(sshSign(K, changed + "\n")) });
  expect(h.snapshot()).toEqual(s0);
  const goodSig = sshSign(K, changed);
  const good = await post({ "X-AtomicNix-Signature": sigHeader(goodSig) });
  const s1 = h.snapshot();
  expect(stored(h)).toBe(changed);
  // The same valid request again is allowed only because the body equals the stored config: change it back first.
  const other = configToml([K.publicLine], { tcp: [9443] });
  const step = await h.req("POST", "/api/config", { headers: { ...toml, "X-AtomicNix-Signature": sigHeader(sshSign(K, other)) }, body: other });
  expect(step.status).toBe(200);
  const s2 = h.snapshot();
  const replay = await post({ "X-AtomicNix-Signature": sigHeader(goodSig) });
  expect([none, byL, fileNs, otherBytes, good, replay].map((r) => r.status)).toEqual([401, 403, 403, 403, 200, 403]);
  for (const r of [none, byL, fileNs, otherBytes, replay]) expect(r.json.ok).toBe(false);
  expect(h.snapshot()).toEqual(s2);
  expect(s1).not.toEqual(s0);
  const accepted = readFileSync(join(h.dataDir, "bootstrap-console", "accepted-signatures"), "utf8").split("\n");
  expect(accepted).toContain(createHash("sha256").update(dearmor(goodSig)).digest("hex"));
  // The exception of the replay rule: the accepted signature with the stored body re-applies.
  const again = await h.req("POST", "/api/config", { headers: { ...toml, "X-AtomicNix-Signature": sigHeader(sshSign(K, other)) }, body: other });
  expect(again.status).toBe(200);
});

scenario("console.signed.rotation", onHost, async () => {
  const K = key("K");
  const M = key("M");
  const h = await harness(configToml([K.publicLine]));
  const rotate = configToml([M.publicLine]);
  const r = await h.req("POST", "/api/config", { headers: { ...toml, "X-AtomicNix-Signature": sigHeader(sshSign(K, rotate)) }, body: rotate });
  expect(r.status).toBe(200);
  const next = configToml([M.publicLine], { tcp: [8443] });
  const byK = await h.req("POST", "/api/config", { headers: { ...toml, "X-AtomicNix-Signature": sigHeader(sshSign(K, next)) }, body: next });
  const byM = await h.req("POST", "/api/config", { headers: { ...toml, "X-AtomicNix-Signature": sigHeader(sshSign(M, next)) }, body: next });
  expect([byK.status, byM.status]).toEqual([403, 200]);
});

scenario("console.apply.order", onHost, async () => {
  const h = await harness();
  const units = ["quadlet-sync.service", "provisioned-firewall-inbound.service", "lan-gateway-apply.service"];
  const ok = await h.req("POST", "/api/config", { headers: toml, body: configToml([key("K").publicLine]) });
  expect(ok.status).toBe(200);
  expect(ok.json.applied).toEqual(units);
  expect(h.commands).toEqual(units.map((u) => ["systemctl", "restart", u]));

  // Failure: 500 naming the unit, the import stays committed.
  const f = await harness();
  f.failUnit.name = "provisioned-firewall-inbound.service";
  const text = configToml([key("K").publicLine], { tcp: [8443] });
  const failed = await f.req("POST", "/api/config", { headers: toml, body: text });
  expect(failed.status).toBe(500);
  expect(failed.json.ok).toBe(false);
  expect(failed.json.error).toContain("provisioned-firewall-inbound.service");
  expect(stored(f)).toBe(text);
  expect(f.commands.map((c) => c[2])).toEqual(units.slice(0, 2));

  // A new gateway address: 202 with the new location, sent before lan-gateway-apply restarts.
  const g = await harness();
  let release!: () => void;
  g.hold.unit = "lan-gateway-apply.service";
  g.hold.until = new Promise<void>((r) => (release = r));
  const moved = await g.req("POST", "/api/config", { headers: toml, body: configToml([key("K").publicLine], { gatewayCidr: "10.50.0.1/24" }) });
  expect(moved.status).toBe(202);
  expect(moved.json.location).toBe(`http://10.50.0.1:${g.port}/`);
  // The answer arrived while lan-gateway-apply had not finished restarting.
  expect(g.hold.finished).toEqual(units.slice(0, 2));
  release();
  await new Promise((r) => setTimeout(r, 100));
  expect(g.hold.finished).toEqual(units);
  expect(g.commands.map((c) => c[2])).toEqual(units);
});
