import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** A key made by the real ssh-keygen, with its authorized_keys line. */
export interface TestKey {
  path: string;
  publicLine: string;
}

export function makeKey(dir: string, name: string, type: "ed25519" | "ecdsa" | "rsa", bits?: number): TestKey {
  const path = join(dir, name);
  const args = ["-q", "-t", type, "-N", "", "-C", `${name}@test`, "-f", path];
  if (bits) args.push("-b", String(bits));
  execFileSync("ssh-keygen", args, { stdio: "ignore" });
  return { path, publicLine: readFileSync(`${path}.pub`, "utf8").trim() };
}

/** Signs `data` with the real `ssh-keygen -Y sign` and returns the armored signature. */
export function sshSign(key: TestKey, data: Uint8Array | string, namespace = "atomicnix-config", dir?: string): string {
  const file = join(dir ?? key.path + ".d", "msg");
  execFileSync("mkdir", ["-p", join(file, "..")]);
  writeFileSync(file, data);
  // ssh-keygen keeps an existing .sig file: remove it so every call signs afresh.
  rmSync(`${file}.sig`, { force: true });
  execFileSync("ssh-keygen", ["-q", "-Y", "sign", "-n", namespace, "-f", key.path, file], { stdio: "ignore" });
  return readFileSync(`${file}.sig`, "utf8");
}

/** The X-AtomicNix-Signature header value: base64 of the armored text. */
export function sigHeader(armored: string): string {
  return Buffer.from(armored).toString("base64");
}
