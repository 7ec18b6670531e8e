import { execFileSync, spawnSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import { scenario } from "../../../conformance/binding.js";
import { validateConfigText, type Issue } from "../../../device/provisioning/config.js";
import { validators } from "../../../generated/validators/index.js";
import { configText, makeKeys, onHost, scratch } from "./helpers.js";

let dir: string;
let keys: ReturnType<typeof makeKeys>;
let key: string;

beforeAll(() => {
  dir = scratch("prov-config-");
  keys = makeKeys(dir);
  key = keys.ed25519;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function errorsOf(text: string): Issue[] {
  const r = validateConfigText(text);
  if (r.ok) throw new Error(`expected errors, got a valid config for:\n${text}`);
  return r.errors;
}
function valid(text: string) {
  const r = validateConfigText(text);
  if (!r.ok) throw new Error(`expected valid, got ${JSON.stringify(r.errors)}`);
  return r.config;
}
const paths = (errs: Issue[]) => errs.map((e) => e.path);

scenario("prov.version.integer-one", onHost, () => {
  expect(valid(configText(key)).version).toBe(1);
  for (const v of ["true", "1.0", '"1"', "2", null]) {
    const errs = errorsOf(configText(key, { version: v }));
    expect(paths(errs), `version = ${v}`).toEqual(["version"]);
  }
  expect(errorsOf(configText(key, { version: "1.0" }))[0]!.message).toMatch(/float/);
  expect(errorsOf(configText(key, { version: null }))[0]!.message).toMatch(/missing/);
});

scenario("prov.ssh-keys.rejected", onHost, () => {
  const [type, blob] = key.split(" ") as [string, string];
  const edData = Buffer.from(blob, "base64");
  // An ed25519 wire blob whose key has 31 bytes: type string, then a 31-byte string.
  const t = Buffer.from("ssh-ed25519");
  const short = Buffer.concat([Buffer.from([0, 0, 0, t.length]), t, Buffer.from([0, 0, 0, 31]), edData.subarray(edData.length - 31)]);
  const p384blob = keys.ecdsa384.split(" ")[1]!;
  const cases: Record<string, string> = {
    rsa1024: keys.rsa1024,
    "no blob": "ssh-ed25519",
    "bad base64": "ssh-ed25519 @@@@",
    "ed25519 under ssh-rsa": `ssh-rsa ${blob}`,
    "p384 under p256": `ecdsa-sha2-nistp256 ${p384blob}`,
    "31-byte key": `${type} ${short.toString("base64")}`,
    "sk key": `sk-ssh-ed25519@openssh.com ${blob}`,
    "ssh-dss": `ssh-dss ${blob}`,
    options: `command="/bin/sh" ${key}`,
  };
  for (const [name, line] of Object.entries(cases)) {
    const errs = errorsOf(configText(key, { keys: [line] }));
    expect(paths(errs), name).toEqual(["admin.ssh_keys[0]"]);
  }
  expect(errorsOf(configText(key, { keys: [keys.rsa1024] }))[0]!.message).toMatch(/1024 bits/);
  expect(errorsOf(configText(key, { keys: [`ecdsa-sha2-nistp256 ${p384blob}`] }))[0]!.message).toMatch(/nistp384/);
  expect(paths(errorsOf(configText(key, { keys: [] })))).toEqual(["admin.ssh_keys"]);
});

scenario("prov.firewall-ports.invalid", onHost, () => {
  const mixed = errorsOf(configText(key, { firewall: "[firewall.inbound]\ntcp = [22]\nwan = { tcp = [443] }" }));
  expect(paths(mixed)).toEqual(["firewall.inbound"]);
  expect(mixed[0]!.message).toMatch(/cannot be mixed/);
  const bad = errorsOf(configText(key, { firewall: '[firewall.inbound]\ntcp = [0, 65536, true, 80.5, "443"]' }));
  expect(paths(bad)).toEqual([0, 1, 2, 3, 4].map((i) => `firewall.inbound.tcp[${i}]`));
  for (const e of bad) expect(e.message).toBe("expected integer 1..65535");
  // 80.0 is a TOML float even though its value is integral.
  expect(paths(errorsOf(configText(key, { firewall: "[firewall.inbound]\ntcp = [80.0]" })))).toEqual(["firewall.inbound.tcp[0]"]);
  for (const fw of ["[firewall.inbound]", "[firewall.inbound]\nwan = { tcp = [] }"]) {
    const errs = errorsOf(configText(key, { firewall: fw }));
    expect(paths(errs), fw).toEqual(["firewall.inbound"]);
    expect(errs[0]!.message).toMatch(/at least one port is required/);
  }
});

scenario("prov.lan-range.invalid", onHost, () => {
  for (const cidr of ["10.50.0.1/16", "10.50.0.0/24", "10.50.0.255/24", "127.0.0.1/24", "224.0.0.1/24", "10.050.0.1/24"]) {
    expect(paths(errorsOf(configText(key, { lan: `[lan]\ngateway_cidr = "${cidr}"` }))), cidr).toEqual(["lan.gateway_cidr"]);
  }
  const range = (s: string, e: string) => paths(errorsOf(configText(key, { lan: `[lan]\ngateway_cidr = "10.50.0.1/24"\ndhcp_start = "${s}"\ndhcp_end = "${e}"` })));
  expect(range("10.50.1.10", "10.50.1.20")).toContain("lan.dhcp_start");
  expect(range("10.50.0.200", "10.50.0.100")).toEqual(["lan.dhcp_end"]);
  expect(range("10.50.0.0", "10.50.0.50")).toEqual(["lan.dhcp_start"]);
  expect(range("10.50.0.100", "10.50.0.255")).toEqual(["lan.dhcp_end"]);
  expect(range("10.50.0.1", "10.50.0.50")).toEqual(["lan"]);
  const net = errorsOf(configText(key, { lan: '[lan]\ngateway_cidr = "10.50.0.1/24"\ndhcp_start = "10.50.0.0"' }));
  expect(net[0]!.message).toMatch(/network address/);
});

scenario("prov.lan-range.defaults", onHost, () => {
  const lan = valid(configText(key)).lan;
  expect(lan).toEqual({
    gateway_cidr: "172.20.30.1/24",
    gateway_ip: "172.20.30.1",
    subnet_cidr: "172.20.30.0/24",
    netmask: "255.255.255.0",
    dhcp_start: "172.20.30.10",
    dhcp_end: "172.20.30.254",
    domain: "local",
    hostname_pattern: "atomicnix-{mac}",
    gateway_aliases: ["atomicnix"],
  });
  expect(validators["lan-settings"](lan)).toBe(true);
  const custom = valid(configText(key, { lan: '[lan]\ngateway_cidr = "10.50.0.1/24"' })).lan;
  expect([custom.gateway_ip, custom.subnet_cidr, custom.dhcp_start, custom.dhcp_end]).toEqual(["10.50.0.1", "10.50.0.0/24", "10.50.0.10", "10.50.0.254"]);
});

scenario("prov.dns-names.rules", onHost, () => {
  const lan = valid(configText(key, { lan: '[lan]\ndomain = "Site.Example."\ngateway_aliases = ["GW", "gw", "Atomicnix"]\nhostname_pattern = "Edge-{mac}"' })).lan;
  expect(lan.domain).toBe("site.example");
  expect(lan.gateway_aliases).toEqual(["gw", "atomicnix"]);
  expect(lan.hostname_pattern).toBe("edge-{mac}");
  const long254 = Array.from({ length: 5 }, () => "a".repeat(50)).join(".") + ".abcd"; // 255 chars
  const name254 = long254.slice(0, 254);
  expect(name254.length).toBe(254);
  for (const bad of ["-gw", "gw-", "a..b", "under_score", "a".repeat(64), name254]) {
    expect(paths(errorsOf(configText(key, { lan: `[lan]\ndomain = "${bad}"` }))), `domain ${bad}`).toEqual(["lan.domain"]);
    expect(paths(errorsOf(configText(key, { lan: `[lan]\ngateway_aliases = ["ok", "${bad}"]` }))), `alias ${bad}`).toEqual(["lan.gateway_aliases[1]"]);
  }
  expect(paths(errorsOf(configText(key, { lan: '[lan]\nhostname_pattern = "gateway"' })))).toEqual(["lan.hostname_pattern"]);
  // 52 + 12 hex digits = 64 characters in one label once {mac} is replaced.
  expect(paths(errorsOf(configText(key, { lan: `[lan]\nhostname_pattern = "${"h".repeat(52)}{mac}"` })))).toEqual(["lan.hostname_pattern"]);
  expect(valid(configText(key, { lan: `[lan]\nhostname_pattern = "${"h".repeat(51)}{mac}"` })).lan.hostname_pattern).toBe(`${"h".repeat(51)}{mac}`);
});

scenario("prov.health-required.declared", onHost, () => {
  const containers =
    '[container.web]\nprivileged = false\n[container.web.Container]\nImage = "localhost/web:1"\n[container.db]\nprivileged = true\n[container.db.Container]\nImage = "localhost/db:1"';
  const errs = errorsOf(configText(key, { containers, health: '[health]\nrequired = ["web", "cache", "web"]' }));
  expect(paths(errs)).toEqual(["health.required[1]"]);
  expect(errs[0]!.message).toContain("cache");
  expect(valid(configText(key, { containers, health: '[health]\nrequired = ["web", "db", "web"]' })).health.required).toEqual(["web", "db"]);
});

scenario("prov.unit-tables.structure", onHost, () => {
  const web = (body: string, extra = "") => `[container.web]\n${body}\n${extra}`;
  const base = 'privileged = false\n[container.web.Container]\nImage = "localhost/web:1"';
  const cases: Array<[string, string]> = [
    [web(base, '[container."my.app"]\nprivileged = false\n[container."my.app".Container]\nImage = "localhost/x:1"'), 'container["my.app"]'],
    [web('[container.web.Container]\nImage = "localhost/web:1"'), "container.web.privileged"],
    [web('privileged = "yes"\n[container.web.Container]\nImage = "localhost/web:1"'), "container.web.privileged"],
    [web('privileged = false\n[container.web.Container]\nImage = ["a", "b"]'), "container.web.Container.Image"],
    [web('privileged = false\n[container.web.Container]\nImage = ""'), "container.web.Container.Image"],
    [web(`${base}\nEnvironment = []`), "container.web.Container.Environment"],
    [web(`${base}\nEnvironment = { A = "1" }`), "container.web.Container.Environment"],
    [web(base, "[container.web.Foo]\nBar = 1"), "container.web.Foo"],
    [web(base, "[network.lan0]\n[network.lan0.Unit]\nDescription = \"x\""), "network.lan0.Network"],
  ];
  for (const [containers, path] of cases) {
    const errs = errorsOf(configText(key, { containers, health: '[health]\nrequired = ["web"]' }));
    expect(paths(errs), `${path}\n${containers}`).toEqual([path]);
  }
});

function cli(args: string[]) {
  return spawnSync(process.execPath, [join(import.meta.dirname, "..", "..", "..", "bin", "atomicnix.js"), "provision", ...args], { encoding: "utf8" });
}

scenario("prov.error-report.all", onHost, () => {
  const bad = join(dir, "bad.toml");
  // `extra` must be a top-level key, so it goes before the first table.
  writeFileSync(bad, configText(key, { version: "2", keys: [], firewall: "[firewall.inbound]\ntcp = [70000]" }).replace("version = 2\n", "version = 2\nextra = 1\n"));
  const r = cli(["validate", bad]);
  expect(r.status).toBe(1);
  const lines = r.stderr.trimEnd().split("\n");
  expect(lines).toHaveLength(4);
  // Schema order of the sections, unknown keys last (extra is on line 2 of the file).
  const byPath = ["version: ", "admin.ssh_keys: ", "firewall.inbound.tcp[0]: ", "extra: "];
  byPath.forEach((p, i) => expect(lines[i]!.startsWith(p), lines[i]).toBe(true));
  const j = cli(["validate", bad, "--json"]);
  expect(j.status).toBe(1);
  const body = JSON.parse(j.stdout) as { ok: boolean; errors: Issue[] };
  expect(validators["console-response"](body)).toBe(true);
  expect(body.ok).toBe(false);
  expect(body.errors.map((e) => `${e.path}: ${e.message}`)).toEqual(lines);
  const good = join(dir, "good.toml");
  writeFileSync(good, configText(key));
  const ok = cli(["validate", good]);
  expect([ok.status, ok.stderr]).toEqual([0, ""]);
  expect(cli(["validate", join(dir, "missing.toml")]).status).toBe(2);
});

scenario("prov.error-report.syntax", onHost, () => {
  const f = join(dir, "syntax.toml");
  writeFileSync(f, 'version = 1\nssh_keys "abc"\n');
  const r = cli(["validate", f]);
  expect(r.status).toBe(1);
  const lines = r.stderr.trimEnd().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]!.startsWith("(toml): line 2, column ")).toBe(true);
  const j = JSON.parse(cli(["validate", f, "--json"]).stdout) as { errors: Issue[] };
  expect(j.errors).toHaveLength(1);
  expect(j.errors[0]).toMatchObject({ path: "(toml)", line: 2, column: 10 });
  expect('ssh_keys "abc"'[10 - 1]).toBe('"');
  void execFileSync;
});
