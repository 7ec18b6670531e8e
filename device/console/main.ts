import type { Server } from "node:http";
import { parse } from "../../lib/args.js";
import { importConfig } from "../provisioning/import.js";
import { validateConfigText } from "../provisioning/config.js";
import { createConsoleServer, type ConsoleOptions } from "./server.js";
import { CONSOLE_PORT, readConsoleLan } from "./settings.js";
import { consolePaths } from "./state.js";

/**
 * bootstrap-console.service: serves the console on gateway_ip:8080 of
 * lan-settings.json (fallback 172.20.30.1), waits until that address exists before
 * serving, and moves when gateway_ip changes (console.bind).
 *
 *   node bootstrap-console.mjs [--data-dir /data] [--host ADDR] [--port 8080] [--poll-ms 2000]
 */
const USAGE = "usage: bootstrap-console [--data-dir DIR] [--host ADDR] [--port N] [--poll-ms N]";

function log(line: string): void {
  process.stderr.write(`bootstrap-console: ${line}\n`);
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    server.once("error", onError);
    server.listen({ host, port, exclusive: true }, () => {
      server.off("error", onError);
      resolve();
    });
  });
}

async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parse(argv, { "data-dir": { type: "string", default: "/data" }, host: { type: "string" }, port: { type: "string" }, "poll-ms": { type: "string" } }, 0));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const port = values.port ? Number(values.port) : CONSOLE_PORT;
  const pollMs = values["poll-ms"] ? Number(values["poll-ms"]) : 2000;
  if (!Number.isInteger(port) || port < 0 || port > 65535 || !Number.isInteger(pollMs) || pollMs < 50) {
    process.stderr.write(`bad --port or --poll-ms\n${USAGE}\n`);
    return 2;
  }
  const dataDir = values["data-dir"]!;
  const paths = consolePaths(dataDir);
  const options: ConsoleOptions = { dataDir, importConfig, validateConfigText, log, ...(port !== CONSOLE_PORT ? { publicPort: port } : {}) };
  const wantedHost = () => values.host ?? readConsoleLan(paths.configRoot).gatewayIp;

  let current: { server: Server; host: string } | undefined;
  let waitingFor = "";
  const tick = async () => {
    const host = wantedHost();
    if (current?.host === host) return;
    if (current) {
      log(`gateway address changed from ${current.host} to ${host}; moving`);
      current.server.close();
      current.server.closeIdleConnections();
      current = undefined;
    }
    const server = createConsoleServer(options);
    try {
      await listen(server, host, port);
      current = { server, host };
      waitingFor = "";
      log(`listening on ${host}:${port}`);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== "EADDRNOTAVAIL") log(`cannot listen on ${host}:${port}: ${(e as Error).message}`);
      else if (waitingFor !== host) log(`waiting for ${host} to appear on the LAN interface`);
      waitingFor = host;
    }
  };
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    tick().finally(() => (running = false));
  }, pollMs);
  await tick();
  await new Promise<void>((resolve) => {
    const stop = () => {
      clearInterval(timer);
      current?.server.close();
      current?.server.closeAllConnections();
      resolve();
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
