/**
 * Artifact scenarios about the Rock64 root filesystem's RAUC, boot environment,
 * kernel, closure, development build and watchdog settings. How each reads the
 * declaration and the built squashfs is in rock64-rootfs.ts; accounts, keys and the
 * SSH-on-WAN flag are in rock64-access.test.ts.
 */
import { readFileSync } from "node:fs";
import { join, posix } from "node:path";
import { expect } from "vitest";
import { scenario } from "../../conformance/binding.js";
import { getAttr, walk } from "../../nix/checks/nix-ast.js";
import { checkClosureOptions } from "../../nix/checks/closure.js";
import { kernelConfig, kernelRequirements } from "../../nix/checks/kernel-symbols.js";
import { flakeView, configurationModules } from "../../nix/checks/repo.js";
import { checkSlotMap } from "../../nix/checks/slot-map.js";
import { parseIni } from "../../conformance/targets/artifacts/index.js";
import { builtRootfs, missing, onArtifacts, repo, rock64, root, target, userPasswordDeclarations } from "./rock64-rootfs.js";

// ------------------------------------------------------------ RAUC

const ROCK64_SLOTS = {
  "slot.boot.0": { device: "/dev/mmcblk1p1", type: "vfat", bootname: "A" },
  "slot.boot.1": { device: "/dev/mmcblk1p3", type: "vfat", bootname: "B" },
  "slot.rootfs.0": { device: "/dev/mmcblk1p2", type: "raw", parent: "boot.0" },
  "slot.rootfs.1": { device: "/dev/mmcblk1p4", type: "raw", parent: "boot.1" },
};
const SYSTEM_KEYS = { bootloader: "uboot", statusfile: "/data/rauc/status.raucs", "bundle-formats": "-plain +verity" };

scenario("rauc.system-conf.keys", onArtifacts, ({ context }) => {
  // Rock64, as the modules write it (the rendered [system] values need evaluation or a
  // Rock64 set): bootloader=uboot has RAUC run fw_printenv/fw_setenv, and the rauc
  // package's unit gets its PATH only from NixOS's drop-in (systemd.services.rauc.path).
  expect(rock64.pkgs("systemd.services.rauc.path")).toContain("libubootenv");
  expect(rock64.pkgs("environment.systemPackages")).toContain("libubootenv");
  // The keyring is the option the flake sets to its one CA certificate. Bundles are
  // signed outside the sandbox against that CA (`nix run .#sign-bundle -- ... --keyring`);
  // the built set below shows a bundle and its image's keyring agree.
  const keyring = rock64.defs(["environment", "etc", "rauc/ca.cert.pem", "source"]).map((d) => d.value);
  expect(keyring).toEqual([{ k: "select", e: { k: "var", name: "cfg" }, path: ["keyringCert"] }]);
  const { env } = flakeView(repo);
  const overlay = env.get("overlayModule");
  expect(getAttr(overlay, ["atomicnix", "rauc", "keyringCert"])).toEqual({ k: "select", e: { k: "var", name: "signing" }, path: ["caCert"] });
  const caCert = getAttr(env.get("signing"), ["caCert"]);
  expect(caCert?.k === "path" ? repo.rel(caCert.v) : caCert?.k).toBe("certs/keyring/ca.cert.pem");
  // A built image: its keyring file is byte-identical to the CA of its bundles.
  const b = builtRootfs();
  if (!b) return context.skip(`no built squashfs to read: ${missing}`);
  const built = parseIni(b.tree.read(b.tree.etc("rauc/system.conf")).toString("utf8"));
  expect(built.system).toMatchObject(SYSTEM_KEYS);
  if (b.rock64) expect(built.system!.compatible).toBe("rock64");
  expect(b.caCert, "the build names its CA certificate").toBeTruthy();
  const keyringPath = built.keyring!.path!;
  const inImage = keyringPath.startsWith("/etc/") ? b.tree.etc(keyringPath.slice("/etc/".length)) : keyringPath;
  expect(b.tree.read(inImage).equals(readFileSync(b.caCert!))).toBe(true);
  if (target === "artifacts" && !b.rock64) {
    context.skip(`not runnable on this artifact set: compatible=rock64 needs a Rock64 squashfs; this one has compatible=${built.system!.compatible}`);
  }
});

scenario("rauc.slots.config", onArtifacts, ({ context }) => {
  const slots = (conf: Record<string, Record<string, string>>) => Object.fromEntries(Object.entries(conf).filter(([k]) => k.startsWith("slot.")));
  // The slot devices as the modules write them (build.nix-definition.slot-map).
  expect(checkSlotMap(repo)).toEqual([]);
  const b = builtRootfs();
  // Without a Rock64 squashfs (the host run: the twin's slots are /dev/vda*) only the
  // rendered configuration above was checked: that proves nothing about an image.
  if (!b?.rock64) return context.skip(`not runnable here: the installed rauc/system.conf needs a Rock64 squashfs (this run has ${b ? `the ${b.kind} one, not Rock64` : `none: ${missing}`}); the declaration was checked`);
  expect(slots(parseIni(b.tree.read(b.tree.etc("rauc/system.conf")).toString("utf8")))).toEqual(ROCK64_SLOTS);
});

scenario("boot.fw-env.config", onArtifacts, ({ context }) => {
  const fields = (text: string) => text.split("\n").filter((l) => l.trim() && !l.trim().startsWith("#")).map((l) => l.trim().split(/\s+/));
  expect(rock64.values(["environment", "etc", "fw_env.config", "source"])).toEqual([{ path: join(root, "device/etc/fw_env.config") }]);
  expect(fields(readFileSync(join(root, "device/etc/fw_env.config"), "utf8"))).toEqual([["/dev/mtd0", "0x140000", "0x2000", "0x1000"]]);
  const b = builtRootfs();
  // Without a Rock64 squashfs (the twin's env is on /dev/vda) only the declared file was checked.
  if (!b?.rock64) return context.skip(`not runnable here: the installed fw_env.config needs a Rock64 squashfs (this run has ${b ? `the ${b.kind} one, not Rock64` : `none: ${missing}`}); the declaration was checked`);
  expect(fields(b.tree.read(b.tree.etc("fw_env.config")).toString("utf8"))).toEqual([["/dev/mtd0", "0x140000", "0x2000", "0x1000"]]);
});

scenario("auth.development-build.same-policy", onArtifacts, ({ context }) => {
  // Development mode changes only which provisioning entry the runtime bundles
  // (`device/build.ts --development` takes device/provisioning/main.development.ts,
  // whose first boot also seeds the SSH-on-WAN flag). No Nix file calls
  // builtins.getEnv (flakes evaluate purely anyway) and the twin build scripts never
  // expand DEVELOPMENT, so accounts, sshd_config and PAM declarations are the same
  // in both builds. If a build ever reads it, this check fails and must compare both
  // evaluations instead.
  const getEnv: string[] = [];
  const nixFiles = [...configurationModules(repo, "rock64").files, "flake.nix", ...["squashfs", "rauc-bundle", "image", "boot-vfat", "boot-script", "runtime"].map((n) => `nix/${n}.nix`)];
  for (const file of nixFiles) {
    walk(repo.parse(file), (n) => {
      if (n.k === "select" && n.e.k === "var" && n.e.name === "builtins" && n.path.includes("getEnv")) getEnv.push(file);
      if (n.k === "var" && n.name === "getEnv") getEnv.push(file);
    });
  }
  expect(getEnv).toEqual([]);
  for (const script of ["twin/build.sh", "twin/build-root.sh", "twin/build-initrd.sh", "twin/install-runtime.sh", ...["build-squashfs", "build-image", "build-rauc-bundle", "build-boot-vfat"].map((n) => `nix/scripts/${n}.sh`)]) {
    const text = readFileSync(join(root, script), "utf8").split("\n").filter((l) => !l.trim().startsWith("#")).join("\n");
    expect(/\$\{?DEVELOPMENT\b/.test(text), script).toBe(false);
  }
  // The one configuration: no password hash other than "!", no authorized_keys file.
  expect(userPasswordDeclarations(rock64).filter((d) => !(d.option === "hashedPassword" && d.value === "!"))).toEqual([]);
  expect(rock64.names("environment.etc").filter((n) => /authorized_keys/.test(n))).toEqual([]);
  // PAM: no module of ours changes the PAM services NixOS generates.
  expect(rock64.defs("security.pam")).toEqual([]);
  // Everything above reads declarations and scripts, not a built set: an artifacts
  // run (one set) has no development/production pair to compare.
  if (target === "artifacts") context.skip("not runnable on one artifact set: the scenario compares the squashfs images built with and without DEVELOPMENT=1");
});

// ------------------------------------------------------------ kernel and closure

scenario("build.kernel.config", onArtifacts, ({ context }) => {
  if (target === "artifacts") return context.skip("artifact sets carry no kernel .config; the Nix declaration below is checked on the host target");
  // The .config of the kernel Nix builds is nixpkgs' defaults plus our
  // structuredExtraConfig. Every symbol the scenario names is declared by our modules
  // with the required value and with mkForce, so no nixpkgs default can win the merge.
  // (Kconfig could still drop a =y whose dependencies are unmet: only a real build shows that.)
  const { files } = configurationModules(repo, "rock64");
  const { values, findings } = kernelConfig(repo, files);
  expect(findings).toEqual([]);
  const req = kernelRequirements(repo);
  expect(req.size).toBe(23);
  const got = Object.fromEntries([...req.keys()].map((s) => [s, values.get(s)?.value ?? "(undeclared)"]));
  expect(got).toEqual(Object.fromEntries([...req].map(([s, v]) => [s, v])));
  const forced = new Set<string>();
  for (const file of files) {
    walk(repo.parse(file), (n, p) => {
      const sym = p[p.length - 1];
      if (sym && req.has(sym) && p[p.length - 2] === "structuredExtraConfig" && n.k === "call" && n.fn.k === "select" && n.fn.path.join(".") === "mkForce") forced.add(sym);
    });
  }
  expect([...req.keys()].filter((s) => !forced.has(s))).toEqual([]);
});

scenario("build.closure.contents", onArtifacts, ({ context }) => {
  // Rock64, declared: NixOS puts perl, rsync and strace in the system profile through
  // environment.defaultPackages, share/man and share/doc through the documentation
  // options, sudo through security.sudo, and criu through crun; all are switched off.
  expect(checkClosureOptions(repo)).toEqual([]);
  for (const path of ["documentation.enable", "documentation.man.enable", "documentation.doc.enable", "documentation.info.enable"]) expect(rock64.values(path), path).toEqual([false]);
  expect(rock64.pkgs("environment.systemPackages").filter((p) => /^(rsync|strace|sudo|criu)$/.test(p))).toEqual([]);
  expect(rock64.defs("environment.pathsToLink")).toEqual([]);
  const b = builtRootfs();
  // Without a NixOS squashfs (the twin is a Debian root, no /nix/store) only the declaration was checked.
  if (!b?.tree.nixosToplevel()) return context.skip(`not runnable here: the closure needs a NixOS squashfs with /nix/store (this run has ${b ? `the ${b.kind} one, without a NixOS toplevel` : `none: ${missing}`}); the declaration was checked`);
  const store = b.tree.children("/nix/store").map((p) => posix.basename(p));
  expect(store.filter((n) => n.includes("criu"))).toEqual([]);
  expect(store.filter((n) => /^[0-9a-z]{32}-sudo-/.test(n))).toEqual([]);
  const sw = posix.join(b.tree.nixosToplevel()!, "sw");
  expect(b.tree.exists(posix.join(sw, "share/man"))).toBe(false);
  expect(b.tree.exists(posix.join(sw, "share/doc"))).toBe(false);
  expect(b.tree.exists(posix.join(sw, "bin/rsync"))).toBe(false);
  expect(b.tree.exists(posix.join(sw, "bin/strace"))).toBe(false);
});

// ------------------------------------------------------------ watchdog

const WATCHDOG = /^\s*(RuntimeWatchdogSec|RebootWatchdogSec)\s*=/;

scenario("wdog.unset.manager-config", onArtifacts, ({ context }) => {
  // Rock64, declared: NixOS writes /etc/systemd/system.conf from systemd.settings.Manager
  // and the systemd.watchdog options; none sets a watchdog key, and no module installs
  // a system.conf or system.conf.d file of its own.
  expect(rock64.names("systemd.settings.Manager").filter((k) => /Watchdog/.test(k))).toEqual([]);
  for (const opt of ["runtimeTime", "rebootTime", "kexecTime", "device"]) expect(rock64.defs(`systemd.watchdog.${opt}`), opt).toEqual([]);
  expect(rock64.names("environment.etc").filter((n) => /^systemd\/system\.conf/.test(n))).toEqual([]);
  expect(rock64.defs("systemd.extraConfig")).toEqual([]);
  const b = builtRootfs();
  if (!b) return context.skip(`no built squashfs to read: ${missing}`);
  const files = [b.tree.etc("systemd/system.conf"), ...b.tree.children(b.tree.etc("systemd/system.conf.d"))];
  expect(b.tree.exists(files[0]!)).toBe(true);
  const setting = files.flatMap((f) => b.tree.read(f).toString("utf8").split("\n").filter((l) => WATCHDOG.test(l)).map((l) => `${f}: ${l.trim()}`));
  expect(setting).toEqual([]);
  // The pattern matches a setting line and not the commented default.
  expect(["RuntimeWatchdogSec=30s", "#RuntimeWatchdogSec=off"].map((l) => WATCHDOG.test(l))).toEqual([true, false]);
});
