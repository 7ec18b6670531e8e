import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import { scenario } from "../../../conformance/binding.js";
import { importConfig } from "../../../device/provisioning/import.js";
import { validators } from "../../../generated/validators/index.js";
import { configText, leftovers, makeKeys, onHost, packBundle, rawTree, scratch, stateTree, writeTree } from "./helpers.js";

let dir: string;
let keys: ReturnType<typeof makeKeys>;
let key: string;

beforeAll(() => {
  dir = scratch("prov-import-");
  keys = makeKeys(dir);
  key = keys.ed25519;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
const freshRoot = () => join(dir, `state-${++n}`, "config");
const readJson = (root: string, f: string) => JSON.parse(readFileSync(join(root, f), "utf8")) as unknown;

async function importText(root: string, text: string) {
  const r = await importConfig({ bytes: Buffer.from(text), filename: "config.toml" }, root);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r;
}

scenario("prov.outputs.layout", onHost, async () => {
  const root = freshRoot();
  const text = configText(key);
  await importText(root, text);
  expect(readFileSync(join(root, "config.toml"), "utf8")).toBe(text);
  expect(readFileSync(join(root, "ssh-authorized-keys/admin"), "utf8")).toBe(`${key}\n`);
  expect(readFileSync(join(root, "quadlet/myapp.container"), "utf8")).toMatch(/^Image=ghcr.io\/example\/myapp:latest$/m);
  expect(statSync(join(root, "files")).isDirectory()).toBe(true);
  expect(stateTree(root)["files"]).toEqual({ type: "dir", mode: 0o755 });
  expect(Object.keys(stateTree(root)).filter((p) => p.startsWith("files/"))).toEqual([]);
  expect(existsSync(join(root, "os-upgrade.json"))).toBe(false);
  for (const [schema, file] of [["firewall-inbound", "firewall-inbound.json"], ["lan-settings", "lan-settings.json"], ["health-required", "health-required.json"], ["quadlet-runtime", "quadlet-runtime.json"]] as const) {
    expect(validators[schema](readJson(root, file)), file).toBe(true);
  }
  expect(readJson(root, "quadlet-runtime.json")).toEqual({ app_user: "appsvc", rootless_network: "pasta", units: [{ name: "myapp", filename: "myapp.container", service: "myapp.service", mode: "rootless" }] });
  expect(readJson(root, "health-required.json")).toEqual(["myapp.service"]);
  // Every output entry is a link into .current, which names one generation.
  expect(readlinkSync(join(root, ".current"))).toMatch(/^\.generations\/\d+$/);
  expect(readlinkSync(join(root, "lan-settings.json"))).toBe(".current/lan-settings.json");
});

scenario("prov.outputs.deterministic", onHost, async () => {
  const src = join(dir, "det-src");
  writeTree(src, { "config.toml": configText(key), "files/run.sh": "#!/bin/sh\necho hi\n", "files/data/secret.bin": "data\n" });
  chmodSync(join(src, "files/run.sh"), 0o777);
  chmodSync(join(src, "files/data/secret.bin"), 0o600);
  chownSync(join(src, "files/run.sh"), 1000, 1000);
  chownSync(join(src, "files/data/secret.bin"), 1000, 1000);
  const bytes = packBundle(src, ["config.toml", "files"], join(dir, "det.tzst"), "zstd", ["--owner=1000", "--group=1000"]);
  const a = freshRoot();
  const b = freshRoot();
  expect((await importConfig({ bytes, filename: "config.tzst" }, a)).ok).toBe(true);
  expect((await importConfig({ bytes, filename: "config.tzst" }, b)).ok).toBe(true);
  expect(stateTree(a)).toEqual(stateTree(b));
  const walk = (p: string) => {
    const st = statSync(p);
    expect([st.uid, st.gid], p).toEqual([0, 0]);
    if (st.isDirectory()) expect(st.mode & 0o7777, p).toBe(0o755);
    else expect(st.mode & 0o7777, p).toBe(p.endsWith("run.sh") ? 0o755 : 0o644);
  };
  const tree = stateTree(a);
  expect(tree["files/run.sh"]?.mode).toBe(0o755);
  expect(tree["files/data/secret.bin"]?.mode).toBe(0o644);
  for (const [rel, e] of Object.entries(tree)) if (e.type !== "missing") walk(join(a, rel));
});

scenario("prov.ssh-keys.accepted", onHost, async () => {
  const list = [keys.ed25519, keys.ecdsa256, keys.ecdsa384, keys.ecdsa521, keys.rsa2048, keys.ed25519];
  const root = freshRoot();
  await importText(root, configText(key, { keys: list }));
  expect(readFileSync(join(root, "ssh-authorized-keys/admin"), "utf8")).toBe(list.slice(0, 5).map((k) => `${k}\n`).join(""));
});

scenario("prov.firewall-ports.normalised", onHost, async () => {
  const root = freshRoot();
  await importText(root, configText(key, { firewall: "[firewall.inbound]\ntcp = [443, 80, 443]\nudp = [1194, 1194]" }));
  expect(readJson(root, "firewall-inbound.json")).toEqual({ wan: { tcp: [443, 80], udp: [1194] } });
  await importText(root, configText(key, { firewall: "[firewall.inbound]\nwan = { udp = [51820] }\nlan = { tcp = [8443, 8443] }" }));
  expect(readFileSync(join(root, "firewall-inbound.json"), "utf8")).toBe(JSON.stringify({ wan: { udp: [51820] }, lan: { tcp: [8443] } }, null, 2) + "\n");
});

scenario("prov.os-upgrade.persisted", onHost, async () => {
  const root = freshRoot();
  await importText(root, configText(key, { osUpgrade: '[os_upgrade]\nserver_url = "https://old.example.com"' }));
  expect(existsSync(join(root, "os-upgrade.json"))).toBe(true);
  await importText(root, configText(key, { osUpgrade: '[os_upgrade]\nserver_url = "https://updates.example.com"' }));
  expect(readJson(root, "os-upgrade.json")).toEqual({ server_url: "https://updates.example.com" });
  await importText(root, configText(key));
  expect(existsSync(join(root, "os-upgrade.json"))).toBe(false);
  // Not even a dangling link to the entry the new state lacks.
  expect(() => lstatSync(join(root, "os-upgrade.json"))).toThrow(/ENOENT/);
  for (const url of ['""', '"ftp://x"']) {
    const r = await importConfig({ bytes: Buffer.from(configText(key, { osUpgrade: `[os_upgrade]\nserver_url = ${url}` })) }, root);
    expect(r.ok ? [] : r.errors.map((e) => e.path)).toEqual(["os_upgrade.server_url"]);
  }
});

scenario("prov.atomic-commit.rejected", onHost, async () => {
  const root = freshRoot();
  await importText(root, configText(key));
  const src = join(dir, "rej-src");
  writeTree(src, { "config.toml": configText(key) });
  const before = rawTree(root);
  const invalid = await importConfig({ bytes: Buffer.from(configText(key, { version: "2" })), filename: "config.toml" }, root);
  expect(invalid.ok).toBe(false);
  // A bundle with a `..` member, written by python since GNU tar strips it.
  const { pythonTar, compress } = await import("./helpers.js");
  pythonTar(join(dir, "rej.tar"), `add("config.toml", ${JSON.stringify(configText(key))}.encode())\nadd("files/../x", b"x")`);
  compress(join(dir, "rej.tar"), join(dir, "rej.tgz"), "gzip");
  const dotdot = await importConfig({ bytes: readFileSync(join(dir, "rej.tgz")), filename: "config.tgz" }, root);
  expect(dotdot.ok).toBe(false);
  expect(rawTree(root)).toEqual(before);
  expect(leftovers(root)).toEqual([]);
});

scenario("prov.atomic-commit.foreign", onHost, async () => {
  const root = freshRoot();
  mkdirSync(root, { recursive: true });
  const foreign = { "ssh-wan-enabled": "", "openvpn/client.conf": "remote x\n", "nixstasis/registration-key": "k3y\n", "bundles/next.raucb.tmp": Buffer.alloc(4096, 7) };
  writeTree(root, foreign);
  chmodSync(join(root, "nixstasis/registration-key"), 0o600);
  const snapshot = () => Object.keys(foreign).map((f) => [f, readFileSync(join(root, f)).toString("base64"), lstatSync(join(root, f)).mode]);
  const before = snapshot();
  await importText(root, configText(key));
  await importText(root, configText(key, { firewall: "[firewall.inbound]\ntcp = [22]" }));
  expect(snapshot()).toEqual(before);
});

scenario("prov.files-dir.kept", onHost, async () => {
  const root = freshRoot();
  const a = join(dir, "files-a");
  writeTree(a, { "config.toml": configText(key), "files/a.conf": "A\n" });
  expect((await importConfig({ bytes: packBundle(a, ["config.toml", "files"], join(dir, "a.tgz"), "gzip"), filename: "config.tgz" }, root)).ok).toBe(true);
  await importText(root, configText(key, { firewall: "[firewall.inbound]\ntcp = [8443]" }));
  expect(readFileSync(join(root, "files/a.conf"), "utf8")).toBe("A\n");
  // A bundle without files/ keeps the tree too.
  const noFiles = join(dir, "files-none");
  writeTree(noFiles, { "config.toml": configText(key) });
  expect((await importConfig({ bytes: packBundle(noFiles, ["config.toml"], join(dir, "none.tgz"), "gzip"), filename: "config.tgz" }, root)).ok).toBe(true);
  expect(readFileSync(join(root, "files/a.conf"), "utf8")).toBe("A\n");
  const b = join(dir, "files-b");
  writeTree(b, { "config.toml": configText(key), "files/b.conf": "B\n" });
  expect((await importConfig({ bytes: packBundle(b, ["config.toml", "files"], join(dir, "b.tzst"), "zstd"), filename: "config.tzst" }, root)).ok).toBe(true);
  expect(readFileSync(join(root, "files/b.conf"), "utf8")).toBe("B\n");
  expect(existsSync(join(root, "files/a.conf"))).toBe(false);
});
