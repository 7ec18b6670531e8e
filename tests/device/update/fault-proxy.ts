import { createServer, connect, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

/**
 * A TCP proxy in front of the real update server that injects the network faults of
 * `upgrade.download.integrity`: it forwards the request untouched and, in the answer,
 * either closes the connection after a number of body bytes or flips one body byte.
 */
export type Fault = { kind: "cut"; afterBodyBytes: number } | { kind: "corrupt"; atBodyByte: number } | { kind: "none" };

export async function startFaultProxy(target: string, fault: () => Fault): Promise<{ url: string; requests: number; close(): Promise<void> }> {
  const t = new URL(target);
  const sockets = new Set<Socket>();
  const state = { requests: 0 };
  const server: Server = createServer((client) => {
    sockets.add(client);
    state.requests++;
    const f = fault();
    const upstream = connect(Number(t.port), t.hostname);
    sockets.add(upstream);
    client.pipe(upstream);
    let header = Buffer.alloc(0);
    let headerDone = false;
    let body = 0;
    upstream.on("data", (chunk: Buffer) => {
      let data = chunk;
      if (!headerDone) {
        header = Buffer.concat([header, data]);
        const end = header.indexOf("\r\n\r\n");
        if (end < 0) return;
        headerDone = true;
        client.write(header.subarray(0, end + 4));
        data = header.subarray(end + 4);
      }
      if (f.kind === "cut" && body + data.length >= f.afterBodyBytes) {
        client.write(data.subarray(0, f.afterBodyBytes - body), () => {
          client.destroy();
          upstream.destroy();
        });
        body = f.afterBodyBytes;
        return;
      }
      if (f.kind === "corrupt" && f.atBodyByte >= body && f.atBodyByte < body + data.length) {
        data = Buffer.from(data);
        data[f.atBodyByte - body] = data[f.atBodyByte - body]! ^ 0xff;
      }
      body += data.length;
      client.write(data);
    });
    upstream.on("end", () => client.end());
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
    client.on("close", () => sockets.delete(client));
    upstream.on("close", () => sockets.delete(upstream));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return state.requests;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
