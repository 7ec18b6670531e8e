import { parse, UsageError } from "../../lib/args.js";
import { parseCidr, parseIpv4 } from "../../lib/ipv4.js";
import { importConfig } from "../provisioning/import.js";
import { validateConfigText } from "../provisioning/config.js";
import { startConsole, type ConsoleOptions } from "./server.js";
import { CONSOLE_PORT, readConsoleLan } from "./settings.js";
import { consolePaths } from "./state.js";

/**
 * `atomicnix console --data-dir DIR [--listen ADDR:PORT] [--trust CIDR ...] [--no-apply] [--json]`:
 * the bootstrap console from the command line, on a workstation or a gateway without
 * the service (console.cli). `--data-dir` is /data on a device (config/ lives under it,
 * as for bootstrap-console.service). Runs until SIGINT or SIGTERM.
 */
export const CONSOLE_USAGE = "console --data-dir DIR [--listen ADDR:PORT] [--trust CIDR ...] [--no-apply] [--json]";

export function parseListen(text: string): { host: string; port: number } {
  const m = /^(.+):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || parseIpv4(m[1]!) === undefined || port > 65535) throw new UsageError(`--listen ${text}: expected IPV4:PORT, e.g. 127.0.0.1:8080`);
  return { host: m[1]!, port };
}

export async function consoleCommand(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    {
      "data-dir": { type: "string" },
      listen: { type: "string" },
      trust: { type: "string", multiple: true, default: [] },
      "no-apply": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    0,
  );
  if (values.help) {
    process.stdout.write(`usage: atomicnix ${CONSOLE_USAGE}\n`);
    return 0;
  }
  if (!values["data-dir"]) throw new UsageError("--data-dir DIR is required (the directory holding config/, /data on a device)");
  const dataDir = values["data-dir"];
  const lan = readConsoleLan(consolePaths(dataDir).configRoot);
  const listen = values.listen ? parseListen(values.listen) : { host: lan.gatewayIp, port: CONSOLE_PORT };
  for (const t of values.trust) if (!parseCidr(t)) throw new UsageError(`--trust ${t}: expected an IPv4 CIDR such as 10.0.0.0/8`);
  const trusted = [...values.trust];
  // On loopback the only clients are this host's own: refusing them (they are outside the LAN /24) helps nobody.
  if (listen.host.startsWith("127.") && !trusted.includes("127.0.0.0/8")) trusted.push("127.0.0.0/8");
  const log = (line: string) => process.stderr.write(values.json ? JSON.stringify({ time: new Date().toISOString(), message: line }) + "\n" : `console: ${line}\n`);
  const options: ConsoleOptions & { host: string; port: number } = {
    dataDir,
    importConfig,
    validateConfigText,
    log,
    host: listen.host,
    port: listen.port,
    trustedPeers: trusted,
    extraHosts: listen.host === lan.gatewayIp ? [] : [listen.host],
    apply: !values["no-apply"],
  };
  let running;
  try {
    running = await startConsole(options);
  } catch (e) {
    process.stderr.write(`atomicnix console: cannot listen on ${listen.host}:${listen.port}: ${(e as Error).message}\n`);
    return 1;
  }
  const url = `http://${listen.host}:${running.port}/`;
  log(`listening on ${url}; peers: LAN ${lan.subnetCidr}${trusted.length ? `, ${trusted.join(", ")}` : ""}; ${values["no-apply"] ? "imports are stored, nothing is restarted (--no-apply)" : "imports restart quadlet-sync, provisioned-firewall-inbound and lan-gateway-apply"}`);
  process.stdout.write(`${url}\n`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await running.close();
  log("stopped");
  return 0;
}
