import { test, expect } from "vitest";
import { run } from "../../conformance/targets/driver.js";
import { selectBindings } from "../../conformance/cli/run.js";
import { parseConsole, sshOptionsFromEnv, sshOptionsToEnv } from "../../conformance/targets/ssh/env.js";

// `atomicnix conformance run` usage errors exit 2 and name the bad option; the device
// part is exercised against the QEMU twin in tests/twin/vm-ssh.ts (the end of the VM lifecycle).
const cli = (args: string[]) => run(["npx", "atomicnix", "conformance", "run", ...args], { timeoutMs: 120_000 });

test.each([
  [[], /--target is required/],
  [["--target", "board"], /--target "board" is not one of/],
  [["--target", "ssh"], /--target ssh needs --host/],
  [["--target", "ssh", "--host", "h", "--port", "22x"], /--port "22x" is not a TCP port/],
  [["--target", "ssh", "--host", "h", "--key", "/nonexistent/key"], /--key \/nonexistent\/key: no such file/],
  [["--target", "ssh", "--host", "h", "--console", "ttyUSB0"], /--console: console "ttyUSB0" is not DEV\[:BAUD\]/],
  [["--target", "ssh", "--host", "h", "--level", "board"], /--level "board" is not one of/],
  [["--target", "ssh", "--host", "h", "--scenario", "no.such.id"], /--scenario "no.such.id" is not a scenario ID/],
  [["--target", "vm", "--host", "h"], /--host does not apply to --target vm/],
  [["--target", "ssh", "--bogus"], /bogus/],
] as [string[], RegExp][])("conformance run %j exits 2", async (args, message) => {
  const r = await cli(args);
  expect(r.stderr).toMatch(message);
  expect(r.code).toBe(2);
});

test("selection: bindings of the target, narrowed by scenario and level; unbound IDs are usage errors", () => {
  const bindings = [
    { scenario: "root.overlay.options", targets: ["vm", "ssh"], file: "a.test.ts", test: "x" },
    { scenario: "rauc.slots.status", targets: ["vm"], file: "b.test.ts", test: "y" },
    { scenario: "auth.no-sudo.absent", targets: ["ssh", "artifacts"], file: "c.test.ts", test: "z" },
  ];
  expect(selectBindings(bindings, "ssh", undefined, undefined).map((b) => b.file)).toEqual(["a.test.ts", "c.test.ts"]);
  expect(selectBindings(bindings, "ssh", undefined, ["device"]).map((b) => b.file)).toEqual(["a.test.ts"]);
  expect(selectBindings(bindings, "ssh", ["auth.no-sudo.absent"], undefined).map((b) => b.file)).toEqual(["c.test.ts"]);
  expect(() => selectBindings(bindings, "ssh", ["rauc.slots.status"], undefined)).toThrow(/rauc.slots.status" has no binding for target ssh/);
});

test("device environment round trip and defaults", () => {
  expect(parseConsole("/dev/ttyUSB0")).toEqual({ device: "/dev/ttyUSB0", baud: 1500000 });
  expect(parseConsole("/dev/ttyUSB0:115200")).toEqual({ device: "/dev/ttyUSB0", baud: 115200 });
  const o = { host: "10.0.0.5", port: 2222, user: "admin", key: "/k", powerCmd: "relay.sh", console: { device: "/dev/ttyS1", baud: 115200 } };
  expect(sshOptionsFromEnv(sshOptionsToEnv(o))).toEqual(o);
  expect(sshOptionsFromEnv({ ATOMICNIX_SSH_HOST: "h" })).toEqual({ host: "h", port: 22, user: "admin" });
  expect(() => sshOptionsFromEnv({})).toThrow(/ATOMICNIX_SSH_HOST/);
  expect(() => sshOptionsFromEnv({ ATOMICNIX_SSH_HOST: "h", ATOMICNIX_SSH_PORT: "0" })).toThrow(/ATOMICNIX_SSH_PORT/);
});
