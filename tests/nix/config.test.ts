/**
 * Static scenarios about what the NixOS configuration is made of, read from the
 * module files' syntax trees (`nix-instantiate --parse`, nix/checks/) and, where our
 * own Nix code uses builtins only (nix/unit-files.nix's replaceLine), evaluated by
 * the host's nix-instantiate. nixpkgs is not here: where a THEN is about what a
 * NixOS module generates from our options (sshd_config, the wait-online ExecStart),
 * the scenario is waived until evaluation on a Nix machine (conformance/waivers.toml,
 * docs/nix.md) and a plain test below guards only what our files write.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { scenario } from "../../conformance/binding.js";
import { lastSetting, listSetting, parseUnit } from "../../conformance/targets/artifacts/unit-file.js";
import { getAttr, walk, type NixNode } from "../../nix/checks/nix-ast.js";
import { NixRepo, definitionsAt, literalString, peel, repoRoot, type Env } from "../../nix/checks/repo.js";
import { program, shellCommands } from "../../nix/checks/commands.js";
import { Declared } from "./declared.js";
import { mutatedRepo } from "./mutated-repo.js";

const onHost = { targets: ["host"] } as const;
const root = repoRoot();
const repo = new NixRepo(root);
const rock64 = new Declared(repo, "rock64");

// ------------------------------------------------------------ what only evaluation shows

// auth.sshd-policy.config is waived: the sshd_config is what nixpkgs' openssh module
// renders from these options (and its own AuthorizedKeysFile entries, which only the
// mkForce below displaces). This guards our side of it.
test("rock64's modules write the key-only sshd policy (the generated sshd_config needs evaluation)", () => {
  expect(rock64.values("services.openssh.settings")).toEqual([{ PasswordAuthentication: false, KbdInteractiveAuthentication: false, PermitRootLogin: "no" }]);
  expect(rock64.defs("services.openssh.authorizedKeysFiles").map((d) => [d.file, d.value.k === "call" && d.value.fn.k === "select" && d.value.fn.path.join(".")])).toEqual([["modules/base.nix", "mkForce"]]);
  expect(rock64.values("services.openssh.authorizedKeysFiles")).toEqual([["/data/config/ssh-authorized-keys/%u"]]);
  expect(rock64.values("services.openssh.authorizedKeysInHomedir")).toEqual([false]);
  expect(rock64.defs("services.openssh.extraConfig")).toEqual([]);
});

// lan.wait-online.options is waived: nixpkgs' networkd module builds the ExecStart of
// systemd-networkd-wait-online.service from these options.
test("rock64's modules ask wait-online for any interface within 30 s (the ExecStart needs evaluation)", () => {
  expect(rock64.values("systemd.network.wait-online")).toEqual([{ anyInterface: true, timeout: 30 }]);
  for (const path of ["systemd.services.systemd-networkd-wait-online", "systemd.network.wait-online.extraArgs", "systemd.network.wait-online.enable"]) expect(rock64.defs(path), path).toEqual([]);
});

// ------------------------------------------------------------ update timer

/** `nix/unit-files.nix`'s replaceLine, run by the host's Nix (it uses builtins only). */
function nixReplaceLine(file: string, prefix: string, line: string): { text?: string; error?: string } {
  const expr = `((import ${join(root, "nix/unit-files.nix")} { lib = null; }).replaceLine ${file} ${JSON.stringify(prefix)} ${JSON.stringify(line)}).text`;
  const r = spawnSync("nix-instantiate", ["--eval", "--strict", "--json", "-E", expr], { encoding: "utf8", env: { ...process.env, NIX_REMOTE: "" } });
  return r.status === 0 ? { text: JSON.parse(r.stdout) as string } : { error: /error: (.*)/.exec(r.stderr)?.[1] ?? r.stderr };
}

/** A `mkOption { default = ...; }` of modules/os-upgrade.nix. */
function optionDefault(r: NixRepo, name: string): NixNode | undefined {
  const option = getAttr(peel(r.parse("modules/os-upgrade.nix")).body, ["options", "os-upgrade", name]);
  return option?.k === "call" ? getAttr(option.args[0], ["default"]) : undefined;
}

/**
 * How modules/os-upgrade.nix installs the two units, read from its syntax tree: the
 * unit files through replaceLine, the timer's OnUnitActiveSec= line built from
 * `config.os-upgrade.pollingInterval`, while useHawkbit (default false) is off; and no
 * other module sets the options or declares the units a second time. Returns what
 * does not hold, and the timer line for an interval.
 */
function upgradeWiring(r: NixRepo): { problems: string[]; timerLine?: (interval: string) => string } {
  const problems: string[] = [];
  const files = new Declared(r, "rock64").files;
  const { body, env } = peel(r.parse("modules/os-upgrade.nix"));
  const cfg = env.get("cfg");
  if (!(cfg?.k === "select" && cfg.e.k === "var" && cfg.e.name === "config" && cfg.path.join(".") === "os-upgrade")) problems.push("cfg is not config.os-upgrade");
  const units = env.get("units");
  if (!(units?.k === "call" && units.fn.k === "var" && units.fn.name === "import" && units.args[0]?.k === "path" && r.rel(units.args[0].v) === "nix/unit-files.nix")) problems.push("units is not nix/unit-files.nix");
  const interval = optionDefault(r, "pollingInterval");
  if (!(interval?.k === "str" && interval.v === "1h")) problems.push("pollingInterval does not default to 1h");
  const hawkbit = optionDefault(r, "useHawkbit");
  if (!(hawkbit?.k === "var" && hawkbit.name === "false")) problems.push("useHawkbit does not default to false");
  const installs = definitionsAt(r, ["modules/os-upgrade.nix"], ["systemd", "units"]).map((d) => d.value);
  const list = installs.length === 1 && installs[0]!.k === "call" && installs[0]!.fn.k === "select" && installs[0]!.fn.path.join(".") === "install" ? installs[0]!.args[0] : undefined;
  // The install is guarded by `lib.mkIf (! cfg.useHawkbit)`.
  let guarded = false;
  walk(getAttr(body, ["config"]) ?? body, (n) => (guarded ||= n.k === "call" && n.fn.k === "select" && n.fn.path.join(".") === "mkIf" && n.args[0]?.k === "op" && n.args[0].op === "!" && JSON.stringify(n.args[0].args[0]) === JSON.stringify({ k: "select", e: { k: "var", name: "cfg" }, path: ["useHawkbit"] }) && n.args[1] !== undefined && installs.some((i) => JSON.stringify(n.args[1]).includes(JSON.stringify(i)))));
  if (!guarded) problems.push("the units are not installed under mkIf (!cfg.useHawkbit)");
  const items = list?.k === "list" ? list.items : [];
  const replaced = (unit: string) => items.find((i) => i.k === "call" && i.args[0]?.k === "path" && r.rel(i.args[0].v) === `device/units/${unit}` && i.fn.k === "select" && i.fn.path.join(".") === "replaceLine");
  if (items.length !== 2 || !replaced("os-upgrade.service")) problems.push("os-upgrade.service is not installed through replaceLine");
  const timer = replaced("os-upgrade.timer");
  const [prefix, line] = timer?.k === "call" ? timer.args.slice(1) : [];
  const [head, value] = line?.k === "concat" ? line.parts : [];
  const fromOption = prefix?.k === "str" && prefix.v === "OnUnitActiveSec=" && head?.k === "str" && head.v === "OnUnitActiveSec=" && value?.k === "select" && value.e.k === "var" && value.e.name === "cfg" && value.path.join(".") === "pollingInterval" && line?.k === "concat" && line.parts.length === 2;
  if (!fromOption) problems.push("the timer's OnUnitActiveSec= line is not replaced by \"OnUnitActiveSec=\" + cfg.pollingInterval");
  // Any other definition: an option value set elsewhere, or a second declaration of a unit (NixOS keeps one text per unit).
  for (const f of files) {
    walk(peel(r.parse(f)).body, (_n, p) => {
      const at = p.join(".");
      if (f !== "modules/os-upgrade.nix" && /(^|\.)os-upgrade\.(pollingInterval|serverUrl|useHawkbit)$/.test(at)) problems.push(`${f} sets ${at}`);
      if (/(^|\.)systemd\.(services|timers)\.os-upgrade$/.test(at)) problems.push(`${f} declares ${at} next to the installed unit file`);
    });
  }
  return fromOption ? { problems, timerLine: (interval) => `OnUnitActiveSec=${interval}` } : { problems };
}

scenario("upgrade.timer.schedule", onHost, () => {
  const wiring = upgradeWiring(repo);
  expect(wiring.problems).toEqual([]);
  const unitFile = (u: string) => join(root, "device/units", u);
  const timer = (interval: string) => {
    const r = nixReplaceLine(unitFile("os-upgrade.timer"), "OnUnitActiveSec=", wiring.timerLine!(interval));
    if (!r.text) throw new Error(r.error);
    const t = parseUnit(r.text);
    return { OnBootSec: listSetting(t, "Timer", "OnBootSec"), OnUnitActiveSec: listSetting(t, "Timer", "OnUnitActiveSec"), RandomizedDelaySec: lastSetting(t, "Timer", "RandomizedDelaySec") };
  };
  // The default options, and pollingInterval = "6h", through the Nix function itself.
  expect(timer("1h")).toEqual({ OnBootSec: ["5min"], OnUnitActiveSec: ["1h"], RandomizedDelaySec: "10min" });
  expect(timer("6h")).toEqual({ OnBootSec: ["5min"], OnUnitActiveSec: ["6h"], RandomizedDelaySec: "10min" });
  // The service keeps its file's body; only the URL line is replaced.
  const service = nixReplaceLine(unitFile("os-upgrade.service"), "Environment=OS_UPGRADE_URL=", 'Environment="OS_UPGRADE_URL=http://localhost/updates"');
  expect(lastSetting(parseUnit(service.text ?? String(service.error)), "Service", "Type")).toBe("oneshot");
  // replaceLine refuses a unit file without the line instead of dropping the option.
  const noLine = join(mkdtempSync(join(tmpdir(), "unit-")), "os-upgrade.timer");
  writeFileSync(noLine, readFileSync(unitFile("os-upgrade.timer"), "utf8").replace(/^OnUnitActiveSec=.*\n/m, ""));
  expect(nixReplaceLine(noLine, "OnUnitActiveSec=", "OnUnitActiveSec=6h").error).toMatch(/os-upgrade\.timer has 0 lines starting with `OnUnitActiveSec=`/);
  // A module that installs the bare file, or declares a drop-in next to it, is noticed.
  const dropped = mutatedRepo(root, "modules/os-upgrade.nix", /\(units\.replaceLine \.\.\/device\/units\/os-upgrade\.timer [^\n]*\)/, "../device/units/os-upgrade.timer");
  expect(upgradeWiring(dropped).problems.join("\n")).toMatch(/OnUnitActiveSec= line is not replaced/);
  const twice = mutatedRepo(root, "modules/os-upgrade.nix", "    (lib.mkIf cfg.useHawkbit {", '    (lib.mkIf (!cfg.useHawkbit) { systemd.timers.os-upgrade.overrideStrategy = "asDropin"; })\n    (lib.mkIf cfg.useHawkbit {');
  expect(upgradeWiring(twice).problems.join("\n")).toMatch(/declares (config\.)?systemd\.timers\.os-upgrade next to the installed unit file/);
  const elsewhere = mutatedRepo(root, "modules/base.nix", "nix.enable = false;", 'nix.enable = false; os-upgrade.pollingInterval = "5m";');
  expect(upgradeWiring(elsewhere).problems.join("\n")).toMatch(/modules\/base\.nix sets .*os-upgrade\.pollingInterval/);
});

// ------------------------------------------------------------ build scripts

const ARTIFACT_TOOLS: { tool: (argv: string[]) => boolean; what: string; script: string; derivation: string }[] = [
  { tool: (a) => a[0] === "mksquashfs", what: "mksquashfs", script: "nix/scripts/build-squashfs.sh", derivation: "nix/squashfs.nix" },
  { tool: (a) => a[0] === "rauc" && a.includes("bundle"), what: "rauc bundle", script: "nix/scripts/build-rauc-bundle.sh", derivation: "nix/rauc-bundle.nix" },
  { tool: (a) => ["sfdisk", "sgdisk", "parted"].includes(a[0]!.split("/").pop()!), what: "GPT partitioning", script: "nix/scripts/build-image.sh", derivation: "nix/image.nix" },
];

/** Files of the build path: the flake, the derivations and their scripts, the twin build and the repository scripts. */
function buildPathFiles(): string[] {
  const r = spawnSync("git", ["ls-files"], { cwd: root, encoding: "utf8" });
  return r.stdout.split("\n").filter((f) => /^(flake\.nix|nix\/.*\.(nix|sh)|twin\/[^/]*\.sh|scripts\/.*\.sh|certs\/.*\.sh)$/.test(f));
}

/** Shell text a Nix file runs (its string literals; interpolated paths as repo paths, other interpolations as `$X`). */
function nixShellText(file: string): string {
  const chunks: string[] = [];
  const render = (n: NixNode): string => (n.k === "str" ? n.v : n.k === "path" ? repo.rel(n.v) : "$X");
  walk(repo.parse(file), (n) => {
    if (n.k === "concat") chunks.push(n.parts.map(render).join(""));
    else if (n.k === "str" && n.v.includes("\n")) chunks.push(n.v);
  });
  return chunks.join("\n");
}

scenario("build.shared-scripts.single-source", onHost, () => {
  const invocations: { file: string; line: number; what: string }[] = [];
  const files = buildPathFiles();
  expect(files).toEqual(expect.arrayContaining(["flake.nix", "nix/squashfs.nix", "twin/build.sh", ...ARTIFACT_TOOLS.map((t) => t.script)]));
  for (const file of files) {
    const text = file.endsWith(".nix") ? nixShellText(file) : readFileSync(join(root, file), "utf8");
    for (const cmd of shellCommands(text)) {
      for (const t of ARTIFACT_TOOLS) if (t.tool(cmd.argv)) invocations.push({ file, line: cmd.line, what: t.what });
    }
  }
  for (const t of ARTIFACT_TOOLS) {
    expect([...new Set(invocations.filter((i) => i.what === t.what).map((i) => i.file))], t.what).toEqual([t.script]);
  }
  // Each derivation runs its script (a path literal in a command position of buildPhase).
  for (const t of ARTIFACT_TOOLS) {
    const runs = shellCommands(nixShellText(t.derivation)).map((c) => program(c).name);
    expect(runs, t.derivation).toContain(t.script);
  }
  // The twin build runs the same scripts for what it builds (it makes no bundle:
  // the VM driver signs test bundles itself, outside the build path).
  const twin = shellCommands(readFileSync(join(root, "twin/build.sh"), "utf8")).map((c) => program(c).name.replace(/^\$repo\//, ""));
  expect(twin).toEqual(expect.arrayContaining(["nix/scripts/build-squashfs.sh", "nix/scripts/build-image.sh"]));
  // The scanner is not blind: a derivation calling mksquashfs itself is found.
  const direct = shellCommands("    runHook preBuild\n    mksquashfs $root $out/rootfs.squashfs -comp zstd\n");
  expect(direct.some((c) => ARTIFACT_TOOLS[0]!.tool(c.argv))).toBe(true);
  expect(shellCommands("# mksquashfs in a comment\nfor t in mksquashfs sfdisk; do echo $t; done\n").some((c) => ARTIFACT_TOOLS.some((t) => t.tool(c.argv)))).toBe(false);
});

// ------------------------------------------------------------ hawkBit switch
// upgrade.hawkbit-switch.units is waived (conformance/waivers.toml): nixpkgs 25.11
// has no rauc-hawkbit-updater, so `os-upgrade.useHawkbit = true` stops evaluation
// with an assertion until the flake packages it.

// ------------------------------------------------------------ OpenVPN recovery

/** Keys of a unit's own definition that make a target or unit start it (its own wants/after start others). */
const STARTED_BY = /^(wantedBy|requiredBy|upheldBy|aliases|WantedBy|RequiredBy|UpheldBy|Alias)$/;

/**
 * openvpn-recovery.service as rock64's modules write it, and everything that could
 * start it: a start dependency in its own definition, or any other attribute name
 * or string of the modules, the flake or device/units/ naming it.
 */
function openvpnUnit(r: NixRepo): { condition: unknown; execStart?: string[]; pulledBy: string[] } {
  const name = "openvpn-recovery";
  const declared = new Declared(r, "rock64");
  const defs = declared.defs(`systemd.services.${name}`);
  if (defs.length !== 1) throw new Error(`systemd.services.${name}: ${defs.length} definitions`);
  const { value } = defs[0]!;
  const exec = getAttr(value, ["serviceConfig", "ExecStart"]);
  const parts = exec?.k === "concat" ? exec.parts : [];
  const rendered = parts[0]?.k === "select" && parts[0].e.k === "var" && parts[0].e.name === "pkgs" && parts.slice(1).every((p) => p.k === "str") ? `\${pkgs.${parts[0].path.join(".")}}` + parts.slice(1).map((p) => (p as { v: string }).v).join("") : undefined;
  const pulledBy: string[] = [];
  for (const file of ["flake.nix", ...declared.files]) {
    walk(r.parse(file), (n, p) => {
      const own = p.join(".").includes(`systemd.services.${name}`);
      if (own && STARTED_BY.test(p.at(-1) ?? "")) pulledBy.push(`${file}: ${p.join(".")}`);
      if (!own && (p.at(-1) ?? "").includes(name)) pulledBy.push(`${file}: ${p.join(".")}`);
      if (!own && n.k === "str" && n.v.includes(name)) pulledBy.push(`${file}: ${p.join(".")} = "${n.v}"`);
    });
  }
  for (const u of readdirSync(r.abs("device/units"))) if (readFileSync(r.abs(`device/units/${u}`), "utf8").includes(name)) pulledBy.push(`device/units/${u}`);
  return { condition: literal0(getAttr(value, ["unitConfig", "ConditionPathExists"])), ...(rendered ? { execStart: rendered.split(/\s+/) } : {}), pulledBy };
}
const literal0 = (n: NixNode | undefined): unknown => (n?.k === "str" ? n.v : n?.k);

scenario("nixstasis.openvpn-recovery.unit", onHost, () => {
  const unit = openvpnUnit(repo);
  expect(unit.condition).toBe("/data/config/openvpn/client.conf");
  const argv = unit.execStart ?? [];
  expect(argv[0]).toBe("${pkgs.openvpn}/bin/openvpn");
  expect(argv.filter((a) => a === "--config")).toHaveLength(1);
  expect(argv[argv.indexOf("--config") + 1]).toBe("/data/config/openvpn/client.conf");
  expect(unit.pulledBy).toEqual([]);
  // The search finds a pulling definition, in the unit itself or in another module.
  const wanted = mutatedRepo(root, "modules/openvpn.nix", "# No wantedBy: auto-start is off.", 'wantedBy = [ "multi-user.target" ];');
  expect(openvpnUnit(wanted).pulledBy).toEqual(["modules/openvpn.nix: systemd.services.openvpn-recovery.wantedBy"]);
  const other = mutatedRepo(root, "modules/base.nix", "nix.enable = false;", 'nix.enable = false; systemd.targets.multi-user.wants = [ "openvpn-recovery.service" ];');
  expect(openvpnUnit(other).pulledBy.join("\n")).toMatch(/modules\/base\.nix: (config\.)?systemd\.targets\.multi-user\.wants\.\[0\] = "openvpn-recovery\.service"/);
});

// ------------------------------------------------------------ serial recovery

/**
 * Runs the serial-recovery script as rendered by the module, in a private mount
 * namespace with a tmpfs on /run, with fw_printenv/fw_setenv/systemctl replaced by
 * recorders over a fake environment. Returns the files it left under /run and the
 * commands it ran.
 */
function runRecovery(script: string, env: Record<string, string>, opts: { setenvFails?: boolean } = {}): { status: number; files: Record<string, string>; calls: string[] } {
  const dir = mkdtempSync(join(tmpdir(), "serial-recovery-"));
  const bin = join(dir, "bin");
  mkdirSync(bin);
  writeFileSync(join(dir, "env"), Object.entries(env).map(([k, v]) => `${k}=${v}\n`).join(""));
  const tool = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/bin/sh\necho "${name} $*" >> ${dir}/calls\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  tool("fw_printenv", `[ "$1" = -n ] || exit 2\nv=$(grep "^$2=" ${dir}/env | cut -d= -f2-)\n[ -n "$v" ] || { echo "## Error: \\"$2\\" not defined" >&2; exit 1; }\necho "$v"`);
  tool("fw_setenv", opts.setenvFails ? "exit 1" : `grep -v "^$1=" ${dir}/env > ${dir}/env.new; [ $# -ge 2 ] && echo "$1=$2" >> ${dir}/env.new; mv ${dir}/env.new ${dir}/env`);
  tool("systemctl", "exit 0");
  writeFileSync(join(dir, "script.sh"), script);
  const r = spawnSync(
    "unshare",
    ["-m", "--propagation", "private", "sh", "-c", `mount -t tmpfs tmpfs /run && PATH=${bin}:$PATH bash -e ${dir}/script.sh; s=$?; cd /run && find . -type f -exec sh -c 'for f; do printf "%s\\0" "$f"; cat "$f"; printf "\\0"; done' _ {} +; exit $s`],
    { encoding: "utf8" },
  );
  const parts = r.stdout.split("\0");
  const files: Record<string, string> = {};
  for (let i = 0; i + 1 < parts.length; i += 2) files[parts[i]!.replace(/^\.\//, "/run/")] = parts[i + 1]!;
  const calls = (() => {
    try {
      return readFileSync(join(dir, "calls"), "utf8").trim().split("\n").filter(Boolean);
    } catch {
      return [];
    }
  })();
  return { status: r.status ?? -1, files, calls };
}

/** Shell text of a module string: literals, let-bound strings, and `${pkgs.x}` as /nix/store/x. */
function shellText(n: NixNode | undefined, env: Env): string {
  if (!n) throw new Error("no script");
  const direct = literalString(n, env);
  if (direct !== undefined) return direct;
  if (n.k === "select" && n.e.k === "var" && n.e.name === "pkgs") return `/nix/store/${n.path.join(".")}`;
  if (n.k === "concat") return n.parts.map((p) => shellText(p, env)).join("");
  throw new Error(`cannot render a ${n.k} into the script`);
}

scenario("auth.serial-recovery.gated", onHost, () => {
  // NixOS renders --autologin into getty units only from services.getty.autologinUser
  // (and extraArgs/loginOptions/loginProgram): none of our modules sets them.
  for (const opt of ["autologinUser", "extraArgs", "loginOptions", "loginProgram"]) expect(rock64.defs(`services.getty.${opt}`), opt).toEqual([]);
  // No getty unit or drop-in is declared by our modules or shipped in device/units/; the
  // recovery service is the only one that touches a getty, at run time.
  const unitNames = ["services", "units", "targets"].flatMap((t) => rock64.names(`systemd.${t}`));
  expect(unitNames).toContain("serial-recovery");
  expect(unitNames.filter((n) => /getty/.test(n))).toEqual([]);
  expect(readdirSync(join(root, "device/units")).filter((n) => /getty/.test(n))).toEqual([]);
  const [svc, ...more] = rock64.defs("systemd.services.serial-recovery");
  expect(more).toEqual([]);
  const before = getAttr(svc!.value, ["before"]);
  expect(before?.k === "list" ? before.items.map((i) => literalString(i, svc!.env)) : before?.k).toContain("serial-getty@ttyS2.service");
  const script = shellText(getAttr(svc!.value, ["script"]), svc!.env);
  // The strings of every module: --autologin appears only in this script.
  const autologinAt: string[] = [];
  for (const file of ["flake.nix", ...readdirSync(join(root, "modules")).map((f) => `modules/${f}`)]) {
    walk(repo.parse(file), (n, p) => {
      if (n.k === "str" && /--autologin/.test(n.v)) autologinAt.push(`${file}:${p.join(".")}`);
    });
  }
  expect(autologinAt).toEqual(["modules/serial-recovery.nix:systemd.services.serial-recovery.script"]);
  // Behaviour of the script: no flag or another value -> nothing; _RUT_OH_=1 -> the flag is
  // cleared and a ttyS2-only autologin drop-in appears in /run; a flag that cannot be
  // cleared -> no autologin.
  const dropIn = "/run/systemd/system/serial-getty@ttyS2.service.d/50-recovery-autologin.conf";
  const unarmed: Record<string, string>[] = [{}, { _RUT_OH_: "0" }, { _RUT_OH_: "yes" }];
  for (const env of unarmed) {
    const r = runRecovery(script, env);
    expect(r.status, JSON.stringify(env)).toBe(0);
    expect(r.files, JSON.stringify(env)).toEqual({});
    expect(r.calls.filter((c) => c.startsWith("fw_setenv")), JSON.stringify(env)).toEqual([]);
  }
  const armed = runRecovery(script, { _RUT_OH_: "1", BOOT_ORDER: "A B" });
  expect(armed.status).toBe(0);
  expect(Object.keys(armed.files)).toEqual([dropIn]);
  const entries = parseUnit(armed.files[dropIn]!);
  expect(listSetting(entries, "Service", "ExecStart")).toHaveLength(1);
  const exec = listSetting(entries, "Service", "ExecStart")[0]!.split(/\s+/);
  expect(exec.slice(exec.indexOf("--autologin"), exec.indexOf("--autologin") + 2)).toEqual(["--autologin", "root"]);
  expect(exec).toContain("1500000");
  expect(armed.calls).toContain("fw_setenv _RUT_OH_");
  expect(armed.calls.indexOf("fw_setenv _RUT_OH_")).toBeLessThan(armed.calls.indexOf("systemctl daemon-reload"));
  const stuck = runRecovery(script, { _RUT_OH_: "1" }, { setenvFails: true });
  expect(stuck.status).not.toBe(0);
  expect(stuck.files).toEqual({});
  // The module is part of rock64 only: the QEMU target has no UART2 break-glass.
  expect(rock64.files).toContain("modules/serial-recovery.nix");
  expect(new Declared(repo, "rock64-qemu").defs("systemd.services.serial-recovery")).toEqual([]);
});
