import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, expect, test, type TestContext } from "vitest";
import { currentTarget } from "../../conformance/targets.js";
import { run, sleep } from "../../conformance/targets/driver.js";
import { rootRequirement, SshTarget } from "../../conformance/targets/ssh/ssh.js";
import { VmTarget } from "../../conformance/targets/vm/vm.js";
import { locateTwin } from "../../twin/locate.js";
import { vmPowerSwitch, type VmPowerSwitch } from "./vm-power.js";
import { freePort, twinSeed } from "./vm-seed.js";

// The ssh target against the only SSH device we have: the QEMU twin, provisioned by a
// config.toml on boot-a (admin key made here), its LAN port 22 forwarded to loopback.
// Runs only with ATOMICNIX_TARGET=vm (it boots a VM); the driver itself is the ssh one.

interface Rig {
  vm: VmTarget;
  port: number;
  key: string;
  power: VmPowerSwitch;
  dir: string;
}
let rig: Promise<Rig> | undefined;
let cleanup: (() => Promise<void>) | undefined;
afterAll(async () => {
  await cleanup?.();
}, 60_000);

async function twinOverSsh(context: TestContext): Promise<Rig> {
  if (currentTarget() !== "vm") context.skip("boots the QEMU twin: runs with ATOMICNIX_TARGET=vm");
  const build = locateTwin();
  if ("missing" in build) return context.skip(build.missing) as never;
  if (!build.image) return context.skip("twin built with --root-only: no image") as never;
  rig ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), "atomicnix-ssh-twin-"));
    const key = join(dir, "admin_ed25519");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "admin@ssh-target-test", "-f", key]);
    const port = await freePort();
    const vm = new VmTarget({
      image: build.image!,
      workDir: join(dir, "vm"),
      imageHash: build.imageSha256,
      arch: build.arch,
      bootFiles: { "config.toml": twinSeed(readFileSync(`${key}.pub`, "utf8").trim()) },
      lanForwards: { 22: port },
    });
    const power = await vmPowerSwitch(vm, dir);
    cleanup = async () => {
      console.log(`ssh twin: boots ${vm.boots.map((b) => `${b.n}:${b.slot}:${b.end}`).join(" ")}; power actions ${power.actions.join(",") || "none"}; self-resets ${JSON.stringify(power.resets)}`);
      await vm.stop();
      await power.close();
      rmSync(dir, { recursive: true, force: true });
    };
    await vm.start();
    // sshd takes admin's key from /data/config, which first boot imports from the seed.
    await vm.waitUntil("test -e /data/.completed_first_boot", "first boot to complete", 400_000);
    return { vm, port, key, power, dir };
  })();
  return rig;
}

/** A pseudo-terminal whose other end prints boot-like lines: a stand-in for a USB serial adapter. */
function fakeSerial(): Promise<{ device: string; child: ChildProcess }> {
  const child = spawn("python3", ["-c", [
    "import os, pty, time",
    "m, s = pty.openpty()",
    "print(os.ttyname(s), flush=True)",
    "i = 0",
    "while True:",
    "    os.write(m, b'U-Boot SPL console line %d\\r\\n' % i); i += 1; time.sleep(0.2)",
  ].join("\n")], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    createInterface({ input: child.stdout! }).once("line", (device) => resolve({ device: device.trim(), child }));
  });
}

/** os-verification's result on this boot, with its journal when it failed (read as root through the test shell). */
async function trialVerdict(vm: VmTarget): Promise<string> {
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline) {
    const r = await vm
      .exec('s=$(systemctl show -P ActiveState os-verification.service); echo "$s"; [ "$s" = failed ] && journalctl -b -o cat -u os-verification.service --no-pager | tail -n 30; true', { timeoutMs: 20_000 })
      .catch(() => undefined);
    const state = r?.stdout.split("\n")[0];
    if (state === "active" || state === "failed") return r!.stdout.trim();
    if (!r) return "the test shell is gone (the device is rebooting)";
    await sleep(500);
  }
  return "os-verification did not finish within 300 s";
}

function build() {
  const b = locateTwin();
  if ("missing" in b) throw new Error(b.missing);
  return b;
}

test("conformance run --target ssh drives the device and records ssh evidence", { timeout: 900_000 }, async (context) => {
  const { port, key, dir, power } = await twinOverSsh(context);
  // First, on the first boot: os-verification runs only once first boot has completed
  // (ConditionPathExists), so nothing on this boot reboots the device under the run.
  const out = join(dir, "evidence");
  const ids = ["root.overlay.options", "root.no-nix.absent", "boot.script.cmdline"];
  const r = await run(
    ["npx", "atomicnix", "conformance", "run", "--target", "ssh", "--host", "127.0.0.1", "--port", String(port), "--key", key, ...ids.flatMap((id) => ["--scenario", id]), "--out", out],
    { timeoutMs: 600_000 },
  );
  expect(r.code, r.stdout + r.stderr).toBe(0);
  expect(r.stdout).toMatch(/^device\s+3\s+3\s+0\s+0$/m);
  const runs = readdirSync(join(out, "runs"));
  expect(runs).toHaveLength(1);
  expect(r.stdout).toContain(`evidence: ${join(out, "runs", runs[0]!)}`);
  const events = readFileSync(join(out, "runs", runs[0]!, "events.ndjson"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
  const meta = (events[0] as { type: string; meta: { target: string; targetInfo: Record<string, unknown>; imageHash: string } });
  expect(meta.type).toBe("run-start");
  expect(meta.meta.target).toBe("ssh");
  expect(meta.meta.targetInfo).toMatchObject({ kind: "ssh", host: "127.0.0.1", port, arch: "x86_64" });
  expect(meta.meta.imageHash).toMatch(/^rootfs:.+@[AB]$/);
  const passed = events.filter((e) => e.type === "test" && e.state === "passed").map((e) => e.scenario);
  expect(passed.sort()).toEqual([...ids].sort());
  expect(readFileSync(join(out, "runs", runs[0]!, "junit.xml"), "utf8")).toContain("root.overlay.options");
  expect(power.resets, "the device rebooted by itself during the run").toEqual([]);
});

test("SshTarget: exec, describe, console log, power-hook reboot with a new boot_id", { timeout: 900_000 }, async (context) => {
  const { vm, port, key, power } = await twinOverSsh(context);
  const serial = await fakeSerial();
  const t = new SshTarget({ host: "127.0.0.1", port, key, powerCmd: power.command, console: { device: serial.device, baud: 115200 }, bootWaitMs: 400_000 });
  try {
    await t.start();
    // exec: the login user, exit codes, stdin and stderr as the device gave them
    expect(await t.succeed("id -un")).toBe("admin\n");
    expect((await t.exec("echo oops >&2; exit 7")).code).toBe(7);
    expect((await t.exec("echo oops >&2; exit 7")).stderr.trim()).toBe("oops");
    expect(await t.succeed("tr a-z A-Z", { input: "from stdin" })).toBe("FROM STDIN");
    expect(await t.succeed(`printf '%s' "it's \\$HOME"`)).toBe("it's $HOME");
    // the product has no sudo and refuses root over SSH: unprivileged, and tests say so
    expect(t.privileged).toBe(false);
    expect(rootRequirement(t)).toMatch(/needs root.*admin/);
    expect((await run(["ssh", ...t.sshArgs().slice(0, -1), `root@127.0.0.1`, "true"], { timeoutMs: 60_000 })).code).toBe(255);

    const d = t.describe();
    expect(d).toMatchObject({ kind: "ssh", arch: "x86_64", host: "127.0.0.1", port, user: "admin", privileged: false, bootedSlot: "A", version: build().version });
    expect(d.imageHash).toBe(`rootfs:${build().version}@A`);

    // the console recorder got what the serial line carried, raw (stty ran on the device)
    const log = () => readFileSync(t.consoleLogPath!, "utf8");
    for (let i = 0; i < 100 && !/console line \d+\r\n/.test(log()); i++) await sleep(100);
    expect(log()).toMatch(/U-Boot SPL console line \d+\r\n/);
    expect(execFileSync("stty", ["-F", serial.device, "-a"], { encoding: "utf8" })).toMatch(/speed 115200 baud.*-echo/s);

    // reboot: admin may not `systemctl reboot` (no polkit grant), so the power hook cycles
    const before = t.bootId!;
    const bootsBefore = vm.boots.length;
    await t.reboot();
    expect(t.lastRebootMethod).toBe("power-cycle");
    expect(power.actions).toEqual(["cycle"]);
    expect(vm.boots.length).toBe(bootsBefore + 1);
    expect(t.bootId).not.toBe(before);
    expect((await t.succeed("cat /proc/sys/kernel/random/boot_id")).trim()).toBe(t.bootId);
    expect(t.boots).toBe(2);
    // Not the driver's business, but worth seeing in the log: the trial verdict of the
    // boot after the power cycle (a failed trial reboots the twin by itself).
    console.log(`after the power cycle: ${await trialVerdict(vm)}`);

    // powerCut without a power hook is refused, naming what is missing
    const noPower = new SshTarget({ host: "127.0.0.1", port, key });
    await expect(noPower.powerCut()).rejects.toThrow(/power command.*--power-cmd/);
    await noPower.dispose();
  } finally {
    await t.dispose();
    serial.child.kill();
  }
});
