// The bundled console in a namespace whose eth1 gains and changes its address: it
// listens only once the provisioned gateway address exists and moves with it.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import { scenario } from "../../../conformance/binding.js";
import { bundleEsm } from "../../../device/build.js";
import { namespaceRefusal, REPO } from "../network/lab.js";

const refusal = namespaceRefusal();
const ns = `anx-console-${process.pid}`;
const work = mkdtempSync(join(tmpdir(), "atomicnix-console-bind-"));
const program = join(work, "console.mjs");
const children: ChildProcess[] = [];

function inNs(cmd: string[]): string {
  const r = spawnSync("ip", ["netns", "exec", ns, ...cmd], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** Local addresses with a TCP listener on 8080, as `ss` reports them. */
function listeners(): string[] {
  return inNs(["ss", "-Hltn", "sport = :8080"])
    .split("\n")
    .filter(Boolean)
    .map((l) => l.trim().split(/\s+/)[3]!)
    .sort();
}

async function waitFor(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; listening: ${listeners().join(", ") || "nothing"}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function settings(gateway: string): string {
  const [a, b, c] = gateway.split(".");
  const net = `${a}.${b}.${c}`;
  return JSON.stringify({ gateway_cidr: `${gateway}/24`, gateway_ip: gateway, subnet_cidr: `${net}.0/24`, netmask: "255.255.255.0", dhcp_start: `${net}.10`, dhcp_end: `${net}.254`, domain: "local", hostname_pattern: "atomicnix-{mac}", gateway_aliases: ["atomicnix"] });
}

function startConsole(dataDir: string): ChildProcess {
  const child = spawn("ip", ["netns", "exec", ns, process.execPath, program, "--data-dir", dataDir, "--poll-ms", "100"], { stdio: "ignore" });
  children.push(child);
  return child;
}

beforeAll(async () => {
  if (refusal) return;
  await bundleEsm(join(REPO, "device", "console", "main.ts"), program);
  spawnSync("ip", ["netns", "add", ns]);
  inNs(["ip", "link", "add", "eth1", "type", "veth", "peer", "name", "eth1-peer"]);
  inNs(["ip", "link", "set", "eth1-peer", "up"]);
  inNs(["ip", "link", "set", "eth1", "up"]);
  inNs(["ip", "link", "set", "lo", "up"]);
}, 60_000);

afterAll(() => {
  for (const c of children) c.kill("SIGKILL");
  spawnSync("ip", ["netns", "del", ns]);
  rmSync(work, { recursive: true, force: true });
});

scenario("console.bind.address", { targets: ["host"], timeout: 60_000 }, async ({ context }) => {
  if (refusal) context.skip(refusal);
  const data = join(work, "data");
  mkdirSync(join(data, "config"), { recursive: true });
  writeFileSync(join(data, "config", "lan-settings.json"), settings("10.50.0.1"));
  const child = startConsole(data);
  // Give it several poll rounds: nothing may listen before the address exists.
  await new Promise((r) => setTimeout(r, 1500));
  expect(listeners()).toEqual([]);
  inNs(["ip", "addr", "add", "10.50.0.1/24", "dev", "eth1"]);
  await waitFor("10.50.0.1:8080", () => listeners().join() === "10.50.0.1:8080");
  writeFileSync(join(data, "config", "lan-settings.json"), settings("10.60.0.1"));
  inNs(["ip", "addr", "add", "10.60.0.1/24", "dev", "eth1"]);
  await waitFor("10.60.0.1:8080 only", () => listeners().join() === "10.60.0.1:8080");
  child.kill("SIGKILL");

  // Missing, then invalid settings: the fallback address.
  inNs(["ip", "addr", "add", "172.20.30.1/24", "dev", "eth1"]);
  for (const content of [undefined, "{ not json"]) {
    const dir = mkdtempSync(join(work, "fallback-"));
    mkdirSync(join(dir, "config"));
    if (content !== undefined) writeFileSync(join(dir, "config", "lan-settings.json"), content);
    const fallback = startConsole(dir);
    await waitFor("172.20.30.1:8080", () => listeners().join() === "172.20.30.1:8080");
    fallback.kill("SIGKILL");
    await waitFor("the listener to go", () => listeners().length === 0);
  }
});
