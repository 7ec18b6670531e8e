import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import { scenario } from "../../../conformance/binding.js";
import { requiredUnits } from "../../../device/health/checks.js";
import { importConfig } from "../../../device/provisioning/import.js";
import { validateConfigText } from "../../../device/provisioning/config.js";
import { validators } from "../../../generated/validators/index.js";
import { configText, makeKeys, onHost, packBundle, scratch } from "./helpers.js";

const CLI = join(import.meta.dirname, "..", "..", "..", "bin", "atomicnix.js");
let dir: string;
let key: string;
beforeAll(() => {
  dir = scratch("prov-cli-");
  key = makeKeys(dir).ed25519;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 60_000 });
const tmpEntries = () => readdirSync(tmpdir()).filter((n) => n.startsWith("atomicnix-validate-"));

scenario("prov.cli.validate-bundle", { ...onHost, timeout: 60_000 }, () => {
  const src = join(dir, "bundle-src");
  mkdirSync(join(src, "files"), { recursive: true });
  writeFileSync(join(src, "files", "app.env"), "A=1\n");
  writeFileSync(join(src, "config.toml"), configText(key));
  const good = join(dir, "good.tar.gz");
  packBundle(src, ["config.toml", "files"], good, "gzip");
  writeFileSync(join(src, "config.toml"), configText(key, { version: "2" }));
  const badVersion = join(dir, "v2.tar.gz");
  packBundle(src, ["config.toml"], badVersion, "gzip");
  const badMember = join(dir, "dotdot.tar.gz");
  packBundle(src, ["config.toml"], badMember, "gzip", ["--transform", "s|^config.toml|../x|", "--add-file", "config.toml"]);
  const before = tmpEntries();

  const ok = cli(["provision", "validate", good]);
  expect(ok.status, ok.stderr).toBe(0);
  expect(ok.stdout).toMatch(/Bundle is valid/);
  const v2 = cli(["provision", "validate", badVersion, "--json"]);
  expect(v2.status).toBe(1);
  expect(JSON.parse(v2.stdout).errors.map((e: { path: string }) => e.path)).toEqual(["version"]);
  const dd = cli(["provision", "validate", badMember, "--json"]);
  expect(dd.status, dd.stdout).toBe(1);
  const err = JSON.parse(dd.stdout).errors[0];
  expect(err.path).toBe("(input)");
  expect(err.message).toContain("..");
  expect(tmpEntries()).toEqual(before);
});

scenario("prov.cli.dirs", { ...onHost, timeout: 90_000 }, () => {
  const help = cli(["provision", "--help"]);
  expect(help.status).toBe(0);
  for (const c of ["provision validate", "provision import", "provision recover"]) expect(help.stdout).toContain(c);

  const cfg = join(dir, "config.toml");
  writeFileSync(cfg, configText(key));
  const data = join(dir, "data");
  const imp = cli(["provision", "import", cfg, "--data-dir", data]);
  expect(imp.status, imp.stderr).toBe(0);
  expect(readFileSync(join(data, "config", "config.toml"), "utf8")).toBe(configText(key));

  const file = join(dir, "a-file");
  writeFileSync(file, "x");
  for (const root of ["/proc/x", file]) {
    const started = Date.now();
    const r = cli(["provision", "import", cfg, "--root", root, "--json"]);
    expect(r.status, `${root}: ${r.stderr}`).toBe(1);
    const errors = JSON.parse(r.stdout).errors;
    expect(errors).toHaveLength(1);
    expect(errors[0].path).toBe("(state)");
    expect(errors[0].message).toContain(root);
    expect(errors[0].message).toMatch(/E[A-Z]+/);
    console.log(`import --root ${root}: refused in ${Date.now() - started} ms`);
  }
});

scenario("prov.output-formats.health-names", onHost, async () => {
  const text = configText(key, { health: '[health]\nrequired = ["edgeproxy"]', containers: '[container.edgeproxy]\nprivileged = true\n[container.edgeproxy.Container]\nImage = "ghcr.io/example/edge:1"' });
  const root = join(dir, "health", "config");
  const r = await importConfig({ bytes: Buffer.from(text), filename: "config.toml" }, root);
  expect(r.ok).toBe(true);
  const written = JSON.parse(readFileSync(join(root, "health-required.json"), "utf8"));
  expect(written).toEqual(["edgeproxy.service"]);
  expect(validators["health-required"](written)).toBe(true);
  expect(requiredUnits(root)).toEqual({ units: ["edgeproxy.service"] });
  const seed = join(dir, "seed-health");
  mkdirSync(seed, { recursive: true });
  writeFileSync(join(seed, "health-required.json"), JSON.stringify(["edgeproxy"]));
  expect(validators["health-required"](["edgeproxy"])).toBe(true);
  expect(requiredUnits(seed)).toEqual({ units: ["edgeproxy"] });
});

scenario("quadlet.seed-forms.reference-config", onHost, async () => {
  const app = '[container.app]\nprivileged = false\n[container.app.Container]\nImage = "ghcr.io/example/app:1"\nNetwork = "bridge"\nVolume = ["${CONFIG_DIR}/local.env:/app/local.env:ro"]\nEnvironmentFile = "${CONFIG_DIR}/local.env"';
  const text = configText(key, { health: '[health]\nrequired = ["app"]', containers: app });
  const v = validateConfigText(text);
  expect(v.ok, JSON.stringify(v)).toBe(true);
  if (!v.ok) return;
  expect(v.warnings.map((w) => w.path)).toEqual(["container.app.Container.Network"]);
  const root = join(dir, "seed-forms", "config");
  const r = await importConfig({ bytes: Buffer.from(text), filename: "config.toml" }, root);
  expect(r.ok).toBe(true);
  if (!r.ok) return;
  expect(r.warnings.map((w) => w.path)).toEqual(["container.app.Container.Network"]);
  const unit = readFileSync(join(root, "quadlet", "app.container"), "utf8").split("\n");
  expect(unit).toEqual(expect.arrayContaining([`Volume=${root}/local.env:/app/local.env:ro`, `EnvironmentFile=${root}/local.env`, "Network=pasta"]));
  for (const line of ['Volume = ["${CONFIG_DIR}/ssh-authorized-keys/admin:/k:ro"]', 'EnvironmentFile = "${CONFIG_DIR}/ssh-authorized-keys/admin"']) {
    const bad = validateConfigText(configText(key, { health: '[health]\nrequired = ["app"]', containers: `[container.app]\nprivileged = false\n[container.app.Container]\nImage = "ghcr.io/example/app:1"\n${line}` }));
    expect(bad.ok, line).toBe(false);
  }
});
