import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import { scenario } from "../../../conformance/binding.js";
import { validators } from "../../../generated/validators/index.js";
import { makeBundle, makePki } from "./rauc-system.js";
import { startServerProcess } from "./server-process.js";

const onHost = { targets: ["host"] } as const;
const work = mkdtempSync(join(tmpdir(), "atomicnix-update-server-"));
const bundles = join(work, "bundles");
let server: Awaited<ReturnType<typeof startServerProcess>>;
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

beforeAll(async () => {
  const pki = makePki(join(work, "pki"));
  const foreign = makePki(join(work, "foreign-pki"));
  mkdirSync(bundles);
  makeBundle(pki, join(bundles, "gw-1.2.0.raucb"), { version: "1.2.0" });
  makeBundle(pki, join(bundles, "gw-1.10.0.raucb"), { version: "1.10.0" });
  // Signed by another CA: with --keyring the server must not offer it although its version is greatest.
  makeBundle(foreign, join(bundles, "evil-9.9.raucb"), { version: "9.9" });
  server = await startServerProcess(["--dir", bundles, "--keyring", pki.ca]);
}, 60_000);

afterAll(async () => {
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

const poll = (headers: Record<string, string>) => fetch(`${server.url}/api/v1/updates/latest`, { headers });

scenario("upgrade.update-server.offer", onHost, async () => {
  const r = await poll({ "X-Device-ID": "0123456789ab", "X-Current-Version": "1.2.0" });
  expect(r.status).toBe(200);
  const body = await r.json();
  expect(validators["update-response"](body)).toBe(true);
  expect(body.version).toBe("1.10.0");
  const file = readFileSync(join(bundles, "gw-1.10.0.raucb"));
  const bytes = Buffer.from(await (await fetch(body.bundle_url)).arrayBuffer());
  expect(bytes.length).toBe(body.size);
  expect(sha(bytes)).toBe(body.sha256);
  expect(bytes.equals(file)).toBe(true);
  expect(server.log.some((l) => /evil-9\.9\.raucb ignored: rauc info failed/.test(l))).toBe(true);
  expect(server.log.some((l) => /GET \/api\/v1\/updates\/latest 200 .*device=0123456789ab version=1\.2\.0/.test(l))).toBe(true);
});

scenario("upgrade.update-server.no-update", onHost, async () => {
  const answers = [
    await poll({ "X-Device-ID": "0123456789ab", "X-Current-Version": "1.10.0" }),
    await poll({ "X-Device-ID": "0123456789ab", "X-Current-Version": "1.11" }),
    await poll({ "X-Current-Version": "1.2.0" }),
    await poll({ "X-Device-ID": "52:54:00:ab:cd:ef", "X-Current-Version": "1.2.0" }),
  ];
  expect(answers.map((a) => a.status)).toEqual([204, 204, 400, 400]);
  expect(await answers[0]!.text()).toBe("");
  expect(await answers[1]!.text()).toBe("");
  expect(await answers[3]!.text()).toMatch(/X-Device-ID/);
  expect((await poll({ "X-Device-ID": "0123456789ab", "X-Current-Version": "1..0" })).status).toBe(400);
});

scenario("upgrade.update-server.range", onHost, async () => {
  const body = await (await poll({ "X-Device-ID": "0123456789ab", "X-Current-Version": "1.2.0" })).json();
  const file = readFileSync(join(bundles, "gw-1.10.0.raucb"));
  for (const n of [1, 4096, file.length - 1]) {
    const r = await fetch(body.bundle_url, { headers: { Range: `bytes=${n}-` } });
    expect(r.status).toBe(206);
    expect(r.headers.get("content-range")).toBe(`bytes ${n}-${file.length - 1}/${file.length}`);
    expect(Number(r.headers.get("content-length"))).toBe(file.length - n);
    expect(Buffer.from(await r.arrayBuffer()).equals(file.subarray(n))).toBe(true);
  }
  for (const n of [file.length, file.length + 10]) {
    const r = await fetch(body.bundle_url, { headers: { Range: `bytes=${n}-` } });
    expect(r.status).toBe(416);
    expect(r.headers.get("content-range")).toBe(`bytes */${file.length}`);
    await r.body?.cancel();
  }
});
