/**
 * Static scenarios about what the NixOS configuration generates, read from the
 * modules through `nix-instantiate --parse` and the small module evaluator in
 * conformance/static/nix-config.ts. Nix cannot evaluate nixpkgs here, so where
 * NixOS itself turns an option into a unit line (sshd settings, wait-online
 * arguments, timer drop-ins) that mapping is written out below and named; our
 * modules' side is read, never assumed.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, chmodSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { scenario } from "../../conformance/binding.js";
import { walk, type NixNode } from "../../conformance/static/nix-ast.js";
import { Attrs, NixConfig, NixPath, plain, replaceUnitLine, type Value } from "../../conformance/static/nix-config.js";
import { NixRepo, repoRoot } from "../../conformance/static/nix-repo.js";
import { program, shellCommands } from "../../conformance/static/shell-commands.js";
import { environmentOf, lastSetting, listSetting, parseUnit } from "../../conformance/static/unit-file.js";
import { mutatedRepo } from "./mutated-repo.js";

const onHost = { targets: ["host"] } as const;
const root = repoRoot();
const repo = new NixRepo(root);
const rock64 = new NixConfig(repo, "rock64");

const attrs = (v: Value | undefined): Attrs => {
  if (!(v instanceof Attrs)) throw new Error(`expected an attribute set, got ${JSON.stringify(plain(v))}`);
  return v;
};
const names = (v: Value | undefined): string[] => (v === undefined ? [] : attrs(v).names());

/** Unit text of a `systemd.units.<name>` entry installed from device/units. */
function unitText(cfg: NixConfig, name: string): string {
  const text = attrs(cfg.value(["systemd", "units", name])).get("text");
  if (typeof text !== "string") throw new Error(`systemd.units.${name}.text is not a string`);
  return text;
}

/**
 * Units defined twice: NixOS turns `systemd.<type>s.<name>` into a definition of
 * `systemd.units."<name>.<type>"` whose `text` is a single string, so a unit installed
 * from a file and also declared through services/timers/... (even as an `asDropin`)
 * does not evaluate.
 */
function unitsDefinedTwice(cfg: NixConfig): string[] {
  const fromFiles = new Set(names(cfg.value(["systemd", "units"])));
  const twice: string[] = [];
  for (const type of ["services", "timers", "sockets", "paths", "targets", "mounts", "slices"]) {
    for (const name of names(cfg.value(["systemd", type]))) if (fromFiles.has(`${name}.${type.slice(0, -1)}`)) twice.push(`${name}.${type.slice(0, -1)}`);
  }
  return twice;
}

/** `nix/unit-files.nix`'s replaceLine run by the host's Nix (it uses builtins only). */
function nixReplaceLine(file: string, prefix: string, line: string): { text?: string; error?: string } {
  const expr = `(import ${join(root, "nix/unit-files.nix")} { lib = null; }).replaceLine ${file} ${JSON.stringify(prefix)} ${JSON.stringify(line)}`;
  const r = spawnSync("nix-instantiate", ["--eval", "--strict", "--json", "-E", `(${expr}).text`], { encoding: "utf8" });
  if (r.status === 0) return { text: JSON.parse(r.stdout) as string };
  return { error: /error: (.*)/.exec(r.stderr)?.[1] ?? r.stderr };
}

scenario("auth.sshd-policy.config", onHost, () => {
  const ssh = rock64.value(["services", "openssh"]);
  const settings = plain(attrs(ssh).get("settings")) as Record<string, unknown>;
  // NixOS renders services.openssh.settings one `Key value` line each, booleans as yes/no.
  const line = (v: unknown): string => (typeof v === "boolean" ? (v ? "yes" : "no") : String(v));
  expect(line(settings.PasswordAuthentication)).toBe("no");
  expect(line(settings.KbdInteractiveAuthentication)).toBe("no");
  expect(line(settings.PermitRootLogin)).toBe("no");
  // AuthorizedKeysFile is the space-joined authorizedKeysFiles. NixOS's own module adds
  // /etc/ssh/authorized_keys.d/%u (and %h/.ssh/... with authorizedKeysInHomedir) at
  // normal priority; only a mkForce of ours makes the list exactly ours.
  const defs = rock64.definitions(["services", "openssh", "authorizedKeysFiles"]);
  expect(defs.map((d) => [d.file, d.prio, plain(d.value)])).toEqual([["modules/base.nix", 50, ["/data/config/ssh-authorized-keys/%u"]]]);
  expect((rock64.value(["services", "openssh", "authorizedKeysFiles"]) as string[]).join(" ")).toBe("/data/config/ssh-authorized-keys/%u");
  expect(attrs(ssh).get("authorizedKeysInHomedir")).toBe(false);
  // No module of ours appends sshd_config text that could override the settings.
  expect(rock64.definitions(["services", "openssh", "extraConfig"])).toEqual([]);
});

scenario("upgrade.timer.schedule", onHost, () => {
  const effective = (cfg: NixConfig) => {
    const timer = parseUnit(unitText(cfg, "os-upgrade.timer"));
    const service = parseUnit(unitText(cfg, "os-upgrade.service"));
    return {
      OnBootSec: listSetting(timer, "Timer", "OnBootSec"),
      OnUnitActiveSec: listSetting(timer, "Timer", "OnUnitActiveSec"),
      RandomizedDelaySec: lastSetting(timer, "Timer", "RandomizedDelaySec"),
      Type: lastSetting(service, "Service", "Type"),
      url: environmentOf(service).OS_UPGRADE_URL,
    };
  };
  expect(effective(rock64)).toEqual({ OnBootSec: ["5min"], OnUnitActiveSec: ["1h"], RandomizedDelaySec: "10min", Type: "oneshot", url: "http://localhost/updates" });
  expect(rock64.optionDefault(["os-upgrade", "pollingInterval"])).toBe("1h");
  // The option values are in the unit text itself: NixOS keeps one text per unit, so
  // nothing else of ours may declare these units (a drop-in would not evaluate).
  expect(unitsDefinedTwice(rock64)).toEqual([]);
  const url = 'http://updates.example.test/a b/"q"/%41\\x';
  const sixHours = new NixConfig(repo, "rock64", { "os-upgrade.pollingInterval": "6h", "os-upgrade.serverUrl": url });
  expect(effective(sixHours)).toEqual({ OnBootSec: ["5min"], OnUnitActiveSec: ["6h"], RandomizedDelaySec: "10min", Type: "oneshot", url });
  // Apart from the replaced lines the units are the twin's files.
  const otherLines = (text: string) => text.split("\n").filter((l) => !/^(OnUnitActiveSec|Environment=OS_UPGRADE_URL)=?/.test(l.replace(/^Environment="/, "Environment=")));
  for (const unit of ["os-upgrade.timer", "os-upgrade.service"]) expect(otherLines(unitText(sixHours, unit)), unit).toEqual(otherLines(readFileSync(join(root, "device/units", unit), "utf8")));
  // The reader's replaceLine is the Nix function's: same text, same refusal.
  expect(nixReplaceLine(join(root, "device/units/os-upgrade.timer"), "OnUnitActiveSec=", "OnUnitActiveSec=6h")).toEqual({ text: unitText(sixHours, "os-upgrade.timer") });
  const noLine = join(mkdtempSync(join(tmpdir(), "unit-")), "os-upgrade.timer");
  writeFileSync(noLine, readFileSync(join(root, "device/units/os-upgrade.timer"), "utf8").replace(/^OnUnitActiveSec=.*\n/m, ""));
  expect(nixReplaceLine(noLine, "OnUnitActiveSec=", "OnUnitActiveSec=6h").error).toMatch(/os-upgrade\.timer has 0 lines starting with `OnUnitActiveSec=`/);
  expect(() => replaceUnitLine({ file: new NixPath(noLine), text: readFileSync(noLine, "utf8") }, "OnUnitActiveSec=", "OnUnitActiveSec=6h")).toThrow(/os-upgrade\.timer has 0 lines starting with `OnUnitActiveSec=`/);
  // A module that stops substituting the option is noticed ...
  const dropped = mutatedRepo(root, "modules/os-upgrade.nix", /\(units\.replaceLine \.\.\/device\/units\/os-upgrade\.timer [^\n]*\)/, "../device/units/os-upgrade.timer");
  expect(effective(new NixConfig(dropped, "rock64", { "os-upgrade.pollingInterval": "6h" })).OnUnitActiveSec).toEqual(["1h"]);
  // ... and so is a drop-in declared next to the installed unit.
  const twice = mutatedRepo(root, "modules/os-upgrade.nix", "    (lib.mkIf cfg.useHawkbit {", '    (lib.mkIf (!cfg.useHawkbit) { systemd.timers.os-upgrade.overrideStrategy = "asDropin"; })\n    (lib.mkIf cfg.useHawkbit {');
  expect(unitsDefinedTwice(new NixConfig(twice, "rock64"))).toEqual(["os-upgrade.timer"]);
});

scenario("lan.wait-online.options", onHost, () => {
  const w = plain(rock64.value(["systemd", "network", "wait-online"])) as Record<string, unknown>;
  // nixpkgs' networkd module builds the ExecStart of systemd-networkd-wait-online.service
  // from these options: `--timeout=${toString timeout}`, `--any` when anyInterface,
  // `--ignore=<if>` per ignoredInterfaces, then extraArgs.
  const args = [`--timeout=${String(w.timeout)}`, ...(w.anyInterface === true ? ["--any"] : []), ...((w.ignoredInterfaces as string[] | undefined) ?? []).map((i) => `--ignore=${i}`)];
  expect(args).toEqual(expect.arrayContaining(["--timeout=30", "--any"]));
  // Nothing of ours replaces that ExecStart, disables the unit or adds conflicting arguments.
  expect(rock64.definitions(["systemd", "services", "systemd-networkd-wait-online"])).toEqual([]);
  expect(rock64.definitions(["systemd", "network", "wait-online", "extraArgs"])).toEqual([]);
  expect(rock64.definitions(["systemd", "network", "wait-online", "enable"]).map((d) => d.value)).not.toContain(false);
  expect(names(rock64.value(["systemd", "units"]))).not.toContain("systemd-networkd-wait-online.service");
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

/** Every unit that names `target` in a dependency that starts it. */
function unitsPulling(cfg: NixConfig, target: string): string[] {
  const pulling: string[] = [];
  const startDeps = ["wants", "requires", "upholds", "bindsTo", "requisite"];
  const reverse = ["wantedBy", "requiredBy", "upheldBy"];
  for (const type of ["services", "timers", "targets", "sockets", "paths"]) {
    for (const name of names(cfg.value(["systemd", type]))) {
      const u = plain(cfg.value(["systemd", type, name])) as Record<string, unknown>;
      const unitName = `${name}.${type.slice(0, -1)}`;
      for (const k of startDeps) if (((u[k] as string[] | undefined) ?? []).includes(target)) pulling.push(`${unitName} ${k}`);
      if (unitName === target) for (const k of reverse) if (((u[k] as string[] | undefined) ?? []).length) pulling.push(`${unitName} ${k}=${String(u[k])}`);
      const unitConfig = (u.unitConfig ?? {}) as Record<string, unknown>;
      for (const [k, v] of Object.entries(unitConfig)) if (/^(Wants|Requires|Upholds|BindsTo)$/.test(k) && String(v).split(/\s+/).includes(target)) pulling.push(`${unitName} unitConfig.${k}`);
    }
  }
  for (const name of names(cfg.value(["systemd", "units"]))) {
    const u = attrs(cfg.value(["systemd", "units", name]));
    const entries = parseUnit(String(u.get("text") ?? ""));
    for (const e of entries) if (/^(Wants|Requires|Upholds|BindsTo|Requisite)$/.test(e.key) && e.value.split(/\s+/).includes(target)) pulling.push(`${name} ${e.key}`);
    if (name === target) for (const k of ["wantedBy", "requiredBy", "upheldBy"]) if (((plain(u.get(k)) as string[] | undefined) ?? []).length) pulling.push(`${name} ${k}`);
  }
  return pulling;
}

scenario("nixstasis.openvpn-recovery.unit", onHost, () => {
  const unit = plain(rock64.value(["systemd", "services", "openvpn-recovery"])) as Record<string, any>;
  expect(unit.unitConfig.ConditionPathExists).toBe("/data/config/openvpn/client.conf");
  const argv = String(unit.serviceConfig.ExecStart).split(/\s+/);
  expect(argv[0]).toBe("/nix/store/<openvpn>/bin/openvpn");
  expect(argv[argv.indexOf("--config") + 1]).toBe("/data/config/openvpn/client.conf");
  expect(argv.filter((a) => a === "--config")).toHaveLength(1);
  expect(unitsPulling(rock64, "openvpn-recovery.service")).toEqual([]);
  // The search finds a pulling unit when there is one.
  const wanted = mutatedRepo(root, "modules/openvpn.nix", "# No wantedBy: auto-start is off.", 'wantedBy = [ "multi-user.target" ];');
  expect(unitsPulling(new NixConfig(wanted, "rock64"), "openvpn-recovery.service")).toEqual(["openvpn-recovery.service wantedBy=multi-user.target"]);
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

scenario("auth.serial-recovery.gated", onHost, () => {
  // NixOS renders --autologin into getty units only from services.getty.autologinUser
  // (and extraArgs/loginOptions): none of our modules sets them.
  for (const opt of ["autologinUser", "extraArgs", "loginOptions", "loginProgram"]) expect(rock64.definitions(["services", "getty", opt]), opt).toEqual([]);
  // No getty unit or drop-in is declared by our modules; the recovery service is the
  // only one that touches a getty, at run time.
  const unitNamesAll = [...names(rock64.value(["systemd", "units"])), ...names(rock64.value(["systemd", "services"]))];
  expect(unitNamesAll.filter((n) => /getty/.test(n))).toEqual([]);
  const svc = plain(rock64.value(["systemd", "services", "serial-recovery"])) as Record<string, any>;
  expect(svc.before).toContain("serial-getty@ttyS2.service");
  const script = String(svc.script);
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
  expect(new NixConfig(repo, "rock64-qemu").value(["systemd", "services", "serial-recovery"])).toBeUndefined();
});
