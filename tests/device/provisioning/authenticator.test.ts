/**
 * Implementing Decision (EU) 2025/138 restricts EN 18031-1: no path may let a user
 * skip setting or using an authenticator. Setting: every import refuses a
 * configuration without an admin key. Using: sshd offers nothing but public keys.
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect } from "vitest";
import { scenario } from "../../../conformance/binding.js";
import { validateConfigText } from "../../../device/provisioning/config.js";
import { importConfig } from "../../../device/provisioning/import.js";
import { configText, makeKeys, onHost, scratch } from "./helpers.js";

const dir = scratch("prov-authenticator-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SSHD_DROP_IN = new URL("../../../twin/rootfs/etc/ssh/sshd_config.d/atomicnix.conf", import.meta.url);

scenario("auth.authenticator-required.no-skip", onHost, async () => {
  const key = makeKeys(dir).ed25519;
  const valid = configText(key);
  expect(validateConfigText(valid).ok).toBe(true);
  const adminBlock = /\[admin\]\nssh_keys = \[[^\n]*\]\n/;
  expect(valid).toMatch(adminBlock);
  const variants = {
    "no [admin] table": valid.replace(adminBlock, ""),
    "admin = {}": valid.replace(adminBlock, "[admin]\n"),
    "admin.ssh_keys = []": valid.replace(adminBlock, "[admin]\nssh_keys = []\n"),
  };
  let n = 0;
  for (const [what, text] of Object.entries(variants)) {
    const v = validateConfigText(text);
    expect(v.ok, what).toBe(false);
    if (v.ok) continue;
    expect(v.errors.map((e) => e.path), what).toEqual(expect.arrayContaining([expect.stringMatching(/^admin(\.ssh_keys)?$/)]));
    const root = join(dir, `state-${++n}`, "config");
    const r = await importConfig({ bytes: Buffer.from(text), filename: "config.toml" }, root);
    expect(r.ok, what).toBe(false);
    expect(existsSync(join(root, "ssh-authorized-keys", "admin")), what).toBe(false);
  }
  // sshd_config keywords are case-insensitive; the last drop-in value is not what
  // sshd uses (the first one is), so any enabling line at all is a failure.
  const lines = readFileSync(SSHD_DROP_IN, "utf8").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
  const values = (k: string) => lines.filter((l) => l.split(/\s+/)[0]!.toLowerCase() === k.toLowerCase()).map((l) => l.split(/\s+/).slice(1).join(" ").toLowerCase());
  expect(values("PasswordAuthentication")).toEqual(["no"]);
  expect(values("KbdInteractiveAuthentication")).toEqual(["no"]);
  for (const k of ["PermitEmptyPasswords", "HostbasedAuthentication", "GSSAPIAuthentication", "ChallengeResponseAuthentication"]) expect(values(k).filter((v) => v !== "no"), k).toEqual([]);
  expect(values("AuthenticationMethods").filter((v) => v !== "publickey")).toEqual([]);
});
