import { connect } from "node:net";
import { afterAll, expect } from "vitest";
import { scenario } from "../../../conformance/binding.js";
import { sigHeader, sshSign } from "./ssh-tools.js";
import { configToml, key, multipart, rawExchange, startHarness, type Harness } from "./harness.js";

let h: Harness | undefined;
afterAll(async () => h?.close());

/** Deterministic generator so a failing run can be repeated. */
function rng(seed: number): () => number {
  return () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
}

/** Opens a connection that sends a partial request line and then stays silent; resolves when the server closes it. */
function idleConnection(port: number, partial: string): Promise<number> {
  return new Promise((resolve) => {
    const started = Date.now();
    const s = connect({ host: "127.0.0.1", port }, () => s.write(partial));
    const done = () => resolve(Date.now() - started);
    s.on("close", done);
    s.on("error", () => {});
    s.resume();
    setTimeout(() => s.destroy(), 15_000).unref();
  });
}

scenario("console.robust.fuzz", { targets: ["host"], timeout: 60_000 }, async () => {
  // Provisioned, so that two simultaneous valid posts are both signed (an unsigned second one would rightly get 401).
  h = await startHarness({ provisionWith: configToml([key("fuzz").publicLine]) });
  const port = h.port;
  const rand = rng(20261127);
  const idle = [idleConnection(port, ""), idleConnection(port, "GET / HTTP/1.1\r\nHost: x"), idleConnection(port, "POST /api/config HTTP/1.1\r\n")];
  const form = multipart({ config: configToml([key("fuzz").publicLine]) });
  const makers: (() => Promise<unknown>)[] = [
    () => rawExchange(port, Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 300) }, () => Math.floor(rand() * 256))).toString("latin1"), undefined, 150),
    () => rawExchange(port, ["GARBAGE", "GET", "GET /\r\n", "GET / HTTP/9.9\r\n\r\n", "\r\n\r\n", "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n"][Math.floor(rand() * 6)]!, undefined, 150),
    () => rawExchange(port, `GET / HTTP/1.1\r\nHost: ${h!.host}\r\nX-Big: ${"a".repeat(32 * 1024)}\r\n\r\n`, undefined, 150),
    () => rawExchange(port, `POST /api/config HTTP/1.1\r\nHost: ${h!.host}\r\nContent-Type: ${form.type}\r\nContent-Length: ${form.body.length}\r\n\r\n${form.body.subarray(0, Math.floor(form.body.length / 2)).toString("latin1")}`, undefined, 150),
    () => rawExchange(port, `POST /api/config HTTP/1.1\r\nHost: ${h!.host}\r\nContent-Type: application/toml\r\nContent-Length: 5000\r\n\r\nversion = 1\n`, undefined, 100),
  ];
  const counts = new Map<number, number>();
  for (let i = 0; i < 2000; i += 50) {
    await Promise.all(
      Array.from({ length: 50 }, (_, j) => {
        const kind = (i + j) % makers.length;
        counts.set(kind, (counts.get(kind) ?? 0) + 1);
        return makers[kind]!();
      }),
    );
  }
  expect([...counts.values()].reduce((a, b) => a + b)).toBe(2000);
  // Slow clients: closed by the 10 s header timeout, not kept until the client gives up.
  const idleTimes = await Promise.all(idle);
  for (const t of idleTimes) expect(t).toBeLessThan(14_000);
  expect(Math.min(...idleTimes)).toBeGreaterThan(9_000);

  const t0 = Date.now();
  const page = await h.req("GET", "/");
  expect(page.status).toBe(200);
  const pageMs = Date.now() - t0;
  const body = configToml([key("fuzz").publicLine], { tcp: [8443] });
  const sig = sigHeader(sshSign(key("fuzz"), body));
  const both = await Promise.all([0, 1].map(() => h!.req("POST", "/api/config", { headers: { "Content-Type": "application/toml", "X-AtomicNix-Signature": sig }, body })));
  const statuses = both.map((r) => r.status).sort();
  expect(statuses[0]).toBe(200);
  expect([200, 409]).toContain(statuses[1]);
  process.stdout.write(`console fuzz: 2000 malformed requests, idle connections closed after ${idleTimes.map((t) => (t / 1000).toFixed(1)).join(", ")} s, concurrent posts ${statuses.join("/")}, GET / after the run answered in ${pageMs} ms\n`);
});
