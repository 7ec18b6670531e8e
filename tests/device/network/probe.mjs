// Network probes run inside a test namespace (`ip netns exec NS node probe.mjs ...`),
// printing one JSON result on stdout. Plain JS so it runs without tsx.
//   ntp HOST                          one SNTP client request (RFC 4330)
//   tcp HOST TIMEOUT_MS PORT...       concurrent TCP connects: connected | refused | timeout
//   udp HOST PORT TEXT                one datagram
//   listen [tcp:P|udp:P]...           listeners until killed; prints {"udp":P,"from":A,"text":T} per datagram
import { createSocket } from "node:dgram";
import { connect, createServer } from "node:net";

const [cmd, ...args] = process.argv.slice(2);
const out = (v) => process.stdout.write(JSON.stringify(v) + "\n");

if (cmd === "ntp") {
  const sock = createSocket("udp4");
  const req = Buffer.alloc(48);
  req[0] = (0 << 6) | (4 << 3) | 3; // LI 0, version 4, mode 3 (client)
  const timer = setTimeout(() => { out({ reply: false }); process.exit(0); }, 3000);
  sock.on("message", (msg) => {
    clearTimeout(timer);
    const mode = msg[0] & 7;
    const stratum = msg[1];
    const refId = msg.subarray(12, 16).toString("latin1");
    const txSeconds = msg.readUInt32BE(40);
    const txFraction = msg.readUInt32BE(44);
    out({ reply: true, length: msg.length, mode, stratum, refId, kod: stratum === 0, transmitNonZero: txSeconds !== 0 || txFraction !== 0 });
    sock.close();
  });
  sock.send(req, 123, args[0]);
} else if (cmd === "tcp") {
  const [host, timeoutMs, ...ports] = args;
  const results = {};
  await Promise.all(
    ports.map(
      (p) =>
        new Promise((resolve) => {
          const s = connect({ host, port: Number(p) });
          const done = (r) => { results[p] = r; s.destroy(); resolve(); };
          s.setTimeout(Number(timeoutMs), () => done("timeout"));
          s.on("connect", () => done("connected"));
          s.on("error", (e) => done(e.code === "ECONNREFUSED" ? "refused" : e.code === "ETIMEDOUT" ? "timeout" : `error:${e.code}`));
        }),
    ),
  );
  out(results);
} else if (cmd === "udp") {
  const [host, port, text] = args;
  const sock = createSocket("udp4");
  sock.send(Buffer.from(text), Number(port), host, (err) => { out({ sent: !err }); sock.close(); });
} else if (cmd === "listen") {
  let pending = args.length;
  const ready = () => { if (--pending === 0) out({ listening: args }); };
  for (const spec of args) {
    const [proto, port] = spec.split(":");
    if (proto === "tcp") {
      const srv = createServer((c) => { c.end("hello from " + port + "\n"); c.on("error", () => {}); });
      srv.listen(Number(port), "0.0.0.0", ready);
    } else {
      const sock = createSocket("udp4");
      sock.on("message", (msg, rinfo) => out({ udp: Number(port), from: rinfo.address, text: msg.toString() }));
      sock.bind(Number(port), "0.0.0.0", ready);
    }
  }
} else {
  process.stderr.write(`probe.mjs: unknown command ${cmd}\n`);
  process.exit(2);
}
