import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect } from "vitest";
import { scenario } from "../../../conformance/binding.js";
import { dearmor, verifySshSig } from "../../../device/console/sshsig.js";
import { WireReader, sshMpint, sshString } from "../../../device/console/ssh-wire.js";
import { makeKey, sshSign } from "./ssh-tools.js";

const dir = mkdtempSync(join(tmpdir(), "atomicnix-sshsig-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const NS = "atomicnix-config";

scenario("console.signed.formats", { targets: ["host"], timeout: 60_000 }, () => {
  const keys = [
    makeKey(dir, "ed", "ed25519"),
    makeKey(dir, "p256", "ecdsa", 256),
    makeKey(dir, "p384", "ecdsa", 384),
    makeKey(dir, "p521", "ecdsa", 521),
    makeKey(dir, "rsa", "rsa", 3072),
  ];
  const outsider = makeKey(dir, "outsider", "ed25519");
  const allowedKeys = keys.map((k) => k.publicLine);
  const message = Buffer.from('version = 1\n[admin]\nssh_keys = ["x"]\n');
  const tampered = Buffer.from(message.toString().replace("1", "2"));
  const types = new Set<string>();

  for (const [i, key] of keys.entries()) {
    const sig = sshSign(key, message);
    // Cross-check with ssh-keygen's own verifier, so the test cannot agree with a wrong implementation of ours.
    const signers = join(dir, "allowed_signers");
    writeFileSync(signers, `admin ${key.publicLine}\n`);
    writeFileSync(join(dir, "m"), message);
    writeFileSync(join(dir, "m.sig"), sig);
    execFileSync("sh", ["-c", `ssh-keygen -q -Y verify -f ${signers} -I admin -n ${NS} -s ${dir}/m.sig < ${dir}/m`], { stdio: "ignore" });

    const good = verifySshSig(sig, message, { namespace: NS, allowedKeys });
    expect(good, key.path).toMatchObject({ ok: true, keyIndex: i });
    if (good.ok) types.add(good.keyType);
    // The same armor with CRLF line ends and re-wrapped base64 is the same signature.
    const rewrapped = sig.replace(/\n/g, "\r\n");
    const again = verifySshSig(rewrapped, message, { namespace: NS, allowedKeys });
    expect(again.ok && good.ok && again.digest === good.digest).toBe(true);

    expect(verifySshSig(sig, tampered, { namespace: NS, allowedKeys })).toMatchObject({ ok: false, reason: "bad-signature" });
    expect(verifySshSig(sshSign(key, message, "file"), message, { namespace: NS, allowedKeys })).toMatchObject({ ok: false, reason: "namespace" });
    const others = allowedKeys.filter((_, j) => j !== i);
    expect(verifySshSig(sig, message, { namespace: NS, allowedKeys: others })).toMatchObject({ ok: false, reason: "unknown-key" });
    const lines = sig.trim().split("\n");
    const truncated = [...lines.slice(0, 2), lines.at(-1)].join("\n");
    expect(verifySshSig(truncated, message, { namespace: NS, allowedKeys })).toMatchObject({ ok: false, reason: "malformed" });
    expect(verifySshSig(lines.slice(0, -1).join("\n"), message, { namespace: NS, allowedKeys })).toMatchObject({ ok: false, reason: "malformed" });
  }
  expect([...types].sort()).toEqual(["ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-ed25519", "ssh-rsa"]);

  const outsiderSig = sshSign(outsider, message);
  expect(verifySshSig(outsiderSig, message, { namespace: NS, allowedKeys })).toMatchObject({ ok: false, reason: "unknown-key" });
  // An outsider who copies an admin's public key into the blob still cannot make the signature verify.
  const forged = dearmor(outsiderSig);
  const r = new WireReader(forged, "sig");
  r.bytes(10);
  const pkLen = r.string().length;
  const adminBlob = Buffer.from(keys[0]!.publicLine.split(" ")[1]!, "base64");
  const rebuilt = Buffer.concat([forged.subarray(0, 10), sshString(adminBlob), forged.subarray(14 + pkLen)]);
  const armor = (b: Buffer) => `-----BEGIN SSH SIGNATURE-----\n${b.toString("base64").replace(/(.{70})/g, "$1\n")}\n-----END SSH SIGNATURE-----\n`;
  expect(verifySshSig(armor(rebuilt), message, { namespace: NS, allowedKeys })).toMatchObject({ ok: false, reason: "bad-signature" });
  // Garbage and trailing bytes are malformed, never an exception.
  expect(verifySshSig("", message, { namespace: NS, allowedKeys })).toMatchObject({ ok: false, reason: "malformed" });
  expect(verifySshSig(armor(Buffer.concat([dearmor(sshSign(keys[0]!, message)), Buffer.from([0])])), message, { namespace: NS, allowedKeys })).toMatchObject({
    ok: false,
    reason: "malformed",
  });

  // ECDSA malleability: (r, n - s) also verifies, and must hash to the same replay digest.
  const p256 = keys[1]!;
  const sig = sshSign(p256, message);
  const blob = dearmor(sig);
  const rd = new WireReader(blob, "sig");
  rd.bytes(10);
  const pk = rd.string();
  const ns = rd.text();
  const reserved = rd.string();
  const hashAlg = rd.text();
  const inner = new WireReader(rd.string(), "inner");
  const fmt = inner.text();
  const rs = new WireReader(inner.string(), "rs");
  const rr = rs.mpint();
  const ss = rs.mpint();
  const n = BigInt("0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
  const flipped = (n - BigInt("0x" + Buffer.from(ss).toString("hex"))).toString(16).padStart(64, "0");
  const malleated = Buffer.concat([
    blob.subarray(0, 10),
    sshString(pk),
    sshString(ns),
    sshString(reserved),
    sshString(hashAlg),
    sshString(Buffer.concat([sshString(fmt), sshString(Buffer.concat([sshMpint(rr), sshMpint(Buffer.from(flipped, "hex"))]))])),
  ]);
  expect(createHash("sha256").update(malleated).digest("hex")).not.toBe(createHash("sha256").update(blob).digest("hex"));
  const a = verifySshSig(sig, message, { namespace: NS, allowedKeys });
  const b = verifySshSig(armor(malleated), message, { namespace: NS, allowedKeys });
  expect(a.ok && b.ok && a.digest === b.digest).toBe(true);
});
