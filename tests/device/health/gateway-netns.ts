import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { waitFor } from "../update/rauc-system.js";

/**
 * A gateway network namespace for os-verification: interfaces really named eth0 and
 * eth1 (veth pairs created inside the namespace, peers wan0/lan0), real addresses,
 * real dnsmasq and chronyd serving eth1, and a long-running "application" process
 * standing in for a provisioned unit. The process map tells the process-based unit
 * probe which pid file belongs to which unit.
 */

export interface GatewayNs {
  name: string;
  processMap: string;
  ip(...args: string[]): void;
  start(unit: "dnsmasq.service" | "chronyd.service" | "myapp.service"): Promise<number>;
  stop(unit: "dnsmasq.service" | "chronyd.service" | "myapp.service", signal?: NodeJS.Signals): Promise<void>;
  pid(unit: string): number | undefined;
  destroy(): void;
}

export function tryCreateNamespace(name: string): string | undefined {
  const r = spawnSync("ip", ["netns", "add", name], { encoding: "utf8" });
  if (r.status !== 0) return `kernel refused a network namespace: ${r.stderr.trim()}`;
  return undefined;
}

export async function createGatewayNs(name: string, dir: string): Promise<GatewayNs> {
  const ip = (...args: string[]) => {
    const r = spawnSync("ip", ["-n", name, ...args], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`ip -n ${name} ${args.join(" ")}: ${r.stderr.trim()}`);
  };
  ip("link", "add", "eth0", "type", "veth", "peer", "name", "wan0");
  ip("link", "add", "eth1", "type", "veth", "peer", "name", "lan0");
  for (const l of ["lo", "eth0", "wan0", "eth1", "lan0"]) ip("link", "set", l, "up");
  ip("addr", "add", "10.99.0.2/24", "dev", "eth0");
  ip("addr", "add", "172.20.30.1/24", "dev", "eth1");

  const pidFiles: Record<string, string> = {
    "dnsmasq.service": join(dir, "dnsmasq.pid"),
    "chronyd.service": join(dir, "chronyd.pid"),
    "myapp.service": join(dir, "myapp.pid"),
  };
  writeFileSync(join(dir, "chrony.conf"), `pidfile ${pidFiles["chronyd.service"]}\ncmdport 0\nallow 172.20.30.0/24\nlocal stratum 10\ndriftfile ${join(dir, "chrony.drift")}\n`);
  const processMap = join(dir, "process-map.json");
  writeFileSync(
    processMap,
    JSON.stringify({
      "dnsmasq.service": { pidFile: pidFiles["dnsmasq.service"], comm: "dnsmasq" },
      "chronyd.service": { pidFile: pidFiles["chronyd.service"], comm: "chronyd" },
      "myapp.service": { pidFile: pidFiles["myapp.service"], comm: "sleep" },
    }),
  );
  const children = new Map<string, ChildProcess>();
  const commands: Record<string, string[]> = {
    "dnsmasq.service": ["dnsmasq", "-k", "-C", "/dev/null", "--interface=eth1", "--except-interface=lo", "--bind-interfaces", "--dhcp-range=172.20.30.10,172.20.30.254,24h", `--pid-file=${pidFiles["dnsmasq.service"]}`, "--no-resolv", "--leasefile-ro"],
    "chronyd.service": ["chronyd", "-d", "-x", "-f", join(dir, "chrony.conf")],
    "myapp.service": ["sh", "-c", `echo $$ > '${pidFiles["myapp.service"]}'; exec sleep 100000`],
  };
  const pid = (unit: string): number | undefined => {
    const f = pidFiles[unit];
    if (!f || !existsSync(f)) return undefined;
    const p = Number.parseInt(readFileSync(f, "utf8").trim(), 10);
    return Number.isInteger(p) ? p : undefined;
  };
  const alive = (p: number | undefined) => p !== undefined && existsSync(`/proc/${p}`) && !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${p}/stat`, "utf8"));

  const ns: GatewayNs = {
    name,
    processMap,
    ip,
    async start(unit) {
      rmSync(pidFiles[unit]!, { force: true });
      const child = spawn("ip", ["netns", "exec", name, ...commands[unit]!], { stdio: "ignore" });
      children.set(unit, child);
      await waitFor(() => alive(pid(unit)), 10_000, `${unit} to write its pid file`);
      // dnsmasq and chronyd write the pid file before they finish binding; give them a moment.
      await new Promise((r) => setTimeout(r, 100));
      return pid(unit)!;
    },
    async stop(unit, signal = "SIGTERM") {
      const child = children.get(unit);
      const p = pid(unit);
      if (p !== undefined && alive(p)) process.kill(p, signal);
      if (child && child.exitCode === null && child.signalCode === null) await new Promise<void>((r) => child.once("exit", () => r()));
      await waitFor(() => !alive(p), 5000, `${unit} (pid ${p}) to exit`);
      children.delete(unit);
    },
    pid,
    destroy() {
      for (const [unit] of children) {
        const p = pid(unit);
        if (p !== undefined && alive(p)) process.kill(p, "SIGKILL");
      }
      for (const c of children.values()) if (c.exitCode === null) c.kill("SIGKILL");
      spawnSync("ip", ["netns", "del", name]);
    },
  };
  return ns;
}
