import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";

/**
 * Real RAUC on the host, for the update and health tests: an openssl-made CA and a
 * signing certificate (digitalSignature only, no codeSigning EKU), bundles made by
 * `rauc bundle`, and a `rauc service` on a private D-Bus system bus with file-backed
 * raw slots and a custom bootloader backend that keeps its state in files (the
 * seed's QEMU backend commands). `rauc status`, `mark-good` and `install` are the real
 * binary end to end.
 *
 * One deviation from the device's system.conf: this host kernel has no device-mapper,
 * so verity bundles cannot be mounted for install; the test system accepts `plain`
 * bundles too (`bundle-formats=+plain +verity`). Bundles that are only served and
 * inspected (`rauc info`) are verity, as on the device.
 */

export interface Pki {
  ca: string;
  cert: string;
  key: string;
}

export function have(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
}

export function makePki(dir: string): Pki {
  mkdirSync(dir, { recursive: true });
  const ca = join(dir, "ca.cert.pem");
  const caKey = join(dir, "ca.key.pem");
  const cert = join(dir, "signer.cert.pem");
  const key = join(dir, "signer.key.pem");
  const csr = join(dir, "signer.csr");
  const ext = join(dir, "signer.ext");
  const q = { stdio: "pipe" as const };
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", caKey, "-out", ca, "-days", "30", "-subj", "/CN=atomicnix test CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"], q);
  execFileSync("openssl", ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=atomicnix test signer"], q);
  writeFileSync(ext, "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n");
  execFileSync("openssl", ["x509", "-req", "-in", csr, "-CA", ca, "-CAkey", caKey, "-CAcreateserial", "-out", cert, "-days", "30", "-extfile", ext], q);
  return { ca, cert, key };
}

export interface BundleSpec {
  version: string;
  compatible?: string;
  format?: "plain" | "verity";
  /** bytes of random rootfs image payload (squashfs needs more than 4 KiB for verity) */
  payload?: number;
}

/** Builds a signed bundle with the real `rauc bundle`; returns its path. */
export function makeBundle(pki: Pki, outPath: string, spec: BundleSpec): string {
  const content = `${outPath}.content`;
  mkdirSync(content, { recursive: true });
  writeFileSync(join(content, "rootfs.img"), randomBytes(spec.payload ?? 64 * 1024));
  writeFileSync(
    join(content, "manifest.raucm"),
    `[update]\ncompatible=${spec.compatible ?? "rock64"}\nversion=${spec.version}\n\n[bundle]\nformat=${spec.format ?? "verity"}\n\n[image.rootfs]\nfilename=rootfs.img\n`,
  );
  execFileSync("rauc", ["bundle", `--cert=${pki.cert}`, `--key=${pki.key}`, content, outPath], { stdio: "pipe" });
  return outPath;
}

export interface RaucSystem {
  dir: string;
  env: NodeJS.ProcessEnv;
  slotFile(bootname: "A" | "B"): string;
  bootState(bootname: "A" | "B"): string;
  primary(): string;
  /** `rauc status --detailed --output-format=json` through the real client */
  status(): { code: number; json?: any; stderr: string };
  /** restarts `rauc service` as if the device rebooted into `booted` */
  reboot(booted: "A" | "B"): Promise<void>;
  stopService(): Promise<void>;
  stop(): void;
}

export async function startRaucSystem(dir: string, pki: Pki, booted: "A" | "B" = "A", slotBytes = 1024 * 1024): Promise<RaucSystem> {
  mkdirSync(join(dir, "boot"), { recursive: true });
  mkdirSync(join(dir, "mnt"), { recursive: true });
  const backend = join(dir, "backend.sh");
  writeFileSync(
    backend,
    `#!/bin/sh
# Custom bootloader backend with the seed's command set; state lives in files.
D='${join(dir, "boot")}'
case "$1" in
  get-primary) cat "$D/primary" 2>/dev/null || echo A ;;
  set-primary) echo "$2" > "$D/primary" ;;
  get-state) cat "$D/state.$2" 2>/dev/null || echo good ;;
  set-state) echo "$3" > "$D/state.$2" ;;
  get-current) cat "$D/current" 2>/dev/null || echo A ;;
  *) exit 1 ;;
esac
`,
  );
  chmodSync(backend, 0o755);
  for (const s of ["A", "B"]) {
    const f = join(dir, `slot${s}.img`);
    if (!existsSync(f)) writeFileSync(f, Buffer.alloc(slotBytes));
  }
  writeFileSync(
    join(dir, "system.conf"),
    `[system]
compatible=rock64
bootloader=custom
statusfile=${join(dir, "status.raucs")}
bundle-formats=+plain +verity
mountprefix=${join(dir, "mnt")}

[handlers]
bootloader-custom-backend=${backend}

[keyring]
path=${pki.ca}

[slot.rootfs.0]
device=${join(dir, "slotA.img")}
type=raw
bootname=A

[slot.rootfs.1]
device=${join(dir, "slotB.img")}
type=raw
bootname=B
`,
  );
  const sock = join(dir, "bus.sock");
  writeFileSync(
    join(dir, "bus.conf"),
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=${sock}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/><allow own="*"/><allow send_destination="*"/><allow receive_sender="*"/>
  </policy>
</busconfig>
`,
  );
  const env = { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${sock}` };
  const bus = spawn("dbus-daemon", [`--config-file=${join(dir, "bus.conf")}`, "--nofork"], { stdio: "ignore" });
  await waitFor(() => existsSync(sock), 5000, "dbus-daemon socket");
  let service: ChildProcess | undefined;

  async function startService(slot: "A" | "B"): Promise<void> {
    writeFileSync(join(dir, "boot", "current"), slot + "\n");
    service = spawn("rauc", [`--conf=${join(dir, "system.conf")}`, "service", `--override-boot-slot=${slot}`], { env, stdio: ["ignore", "ignore", "pipe"] });
    service.stderr?.resume();
    await waitFor(() => spawnSync("rauc", ["status", "--output-format=json"], { env }).status === 0, 10_000, "rauc service on the private bus");
  }
  async function stopService(): Promise<void> {
    const s = service;
    service = undefined;
    if (s && s.exitCode === null && s.signalCode === null) {
      const exited = new Promise<void>((r) => s.once("exit", () => r()));
      s.kill("SIGTERM");
      const timer = setTimeout(() => s.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
  }
  await startService(booted);

  return {
    dir,
    env,
    slotFile: (b) => join(dir, `slot${b}.img`),
    bootState: (b) => (existsSync(join(dir, "boot", `state.${b}`)) ? readFileSync(join(dir, "boot", `state.${b}`), "utf8").trim() : "good(default)"),
    primary: () => (existsSync(join(dir, "boot", "primary")) ? readFileSync(join(dir, "boot", "primary"), "utf8").trim() : "A"),
    status() {
      const r = spawnSync("rauc", ["status", "--detailed", "--output-format=json"], { env, encoding: "utf8" });
      let json: unknown;
      try {
        json = JSON.parse(r.stdout);
      } catch {
        json = undefined;
      }
      return { code: r.status ?? 1, json, stderr: r.stderr };
    },
    async reboot(slot) {
      await stopService();
      await startService(slot);
    },
    stopService,
    stop() {
      service?.kill("SIGTERM");
      bus.kill("SIGTERM");
    },
  };
}

export async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
