import { createHash, createPublicKey, verify, type KeyObject } from "node:crypto";
import { WireError, WireReader, sshMpint, sshString, u32 } from "./ssh-wire.js";

/**
 * Verification of OpenSSH detached signatures (PROTOCOL.sshsig), the format that
 * `ssh-keygen -Y sign -n NAMESPACE -f KEY FILE` writes. Done with node:crypto only,
 * so the console needs no ssh-keygen on the gateway and no node_modules.
 *
 * Armored text:  -----BEGIN SSH SIGNATURE----- / base64 / -----END SSH SIGNATURE-----
 * Blob:          "SSHSIG" uint32(1) string(publickey) string(namespace) string(reserved)
 *                string(hash_algorithm) string(signature)
 * Signed data:   "SSHSIG" string(namespace) string(reserved) string(hash_algorithm) string(H(message))
 */

export const CONSOLE_NAMESPACE = "atomicnix-config";

const MAGIC = Buffer.from("SSHSIG");
const BEGIN = "-----BEGIN SSH SIGNATURE-----";
const END = "-----END SSH SIGNATURE-----";
/** A signature is a few hundred bytes (RSA 16384 about 5 KiB); anything far larger is not one. */
const MAX_ARMOR = 64 * 1024;

type SshSigFailure = "malformed" | "unsupported" | "namespace" | "unknown-key" | "bad-signature";

export type SshSigResult =
  | { ok: true; keyIndex: number; keyType: string; fingerprint: string; digest: string }
  | { ok: false; reason: SshSigFailure; message: string };

interface ParsedSig {
  publicKey: Uint8Array;
  namespace: string;
  reserved: Uint8Array;
  hashAlgorithm: string;
  sigFormat: string;
  sigBlob: Uint8Array;
}

interface Curve {
  name: "P-256" | "P-384" | "P-521";
  hash: "sha256" | "sha384" | "sha512";
  size: number;
  order: bigint;
}

const CURVES: Record<string, Curve> = {
  nistp256: { name: "P-256", hash: "sha256", size: 32, order: BigInt("0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551") },
  nistp384: {
    name: "P-384",
    hash: "sha384",
    size: 48,
    order: BigInt("0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973"),
  },
  nistp521: {
    name: "P-521",
    hash: "sha512",
    size: 66,
    order: BigInt(
      "0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409",
    ),
  },
};

/** Decodes the armored text into the binary SSHSIG blob. */
export function dearmor(armored: string): Buffer {
  if (armored.length > MAX_ARMOR) throw new WireError(`signature is larger than ${MAX_ARMOR} bytes`);
  const text = armored.replace(/\r\n?/g, "\n").trim();
  if (!text.startsWith(BEGIN)) throw new WireError(`signature does not start with "${BEGIN}"`);
  if (!text.endsWith(END)) throw new WireError(`signature does not end with "${END}" (truncated?)`);
  const body = text.slice(BEGIN.length, text.length - END.length).replace(/[\n\t ]/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length % 4 !== 0) throw new WireError("signature armor is not valid base64");
  return Buffer.from(body, "base64");
}

function parseBlob(blob: Uint8Array): ParsedSig {
  const r = new WireReader(blob, "signature");
  if (!Buffer.from(r.bytes(6)).equals(MAGIC)) throw new WireError("signature does not begin with SSHSIG");
  const version = r.uint32();
  if (version !== 1) throw new WireError(`signature version ${version} is not supported`);
  const publicKey = r.string();
  const namespace = r.text();
  const reserved = r.string();
  const hashAlgorithm = r.text();
  const signature = r.string();
  r.end();
  const s = new WireReader(signature, "signature blob");
  const sigFormat = s.text();
  const sigBlob = s.string();
  s.end();
  return { publicKey, namespace, reserved, hashAlgorithm, sigFormat, sigBlob };
}

/** The blob of an authorized_keys style line `<type> <base64> [comment]`, or undefined if it is not one. */
function authorizedKeyBlob(line: string): Uint8Array | undefined {
  const m = /^(\S+)\s+([A-Za-z0-9+/]+={0,2})(?:\s.*)?$/.exec(line.trim());
  if (!m) return undefined;
  const blob = Buffer.from(m[2]!, "base64");
  try {
    if (new WireReader(blob, "key").text() !== m[1]) return undefined;
  } catch {
    return undefined;
  }
  return blob;
}

/** `SHA256:...` as ssh-keygen -l prints it. */
function fingerprint(blob: Uint8Array): string {
  return "SHA256:" + createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
}

function b64url(b: Uint8Array): string {
  return Buffer.from(b).toString("base64url");
}

interface VerifyKey {
  type: string;
  key: KeyObject;
  curve?: Curve;
  rsaBytes?: number;
}

function publicKeyFromBlob(blob: Uint8Array): VerifyKey {
  const r = new WireReader(blob, "public key");
  const type = r.text();
  if (type === "ssh-ed25519") {
    const pk = r.string();
    r.end();
    if (pk.length !== 32) throw new WireError("ed25519 key is not 32 bytes");
    return { type, key: createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: b64url(pk) }, format: "jwk" }) };
  }
  const ec = /^ecdsa-sha2-(nistp256|nistp384|nistp521)$/.exec(type);
  if (ec) {
    const curve = CURVES[ec[1]!]!;
    if (r.text() !== ec[1]) throw new WireError("ecdsa key curve does not match its type");
    const q = r.string();
    r.end();
    if (q.length !== 1 + 2 * curve.size || q[0] !== 4) throw new WireError("ecdsa key point is not an uncompressed point");
    const x = q.subarray(1, 1 + curve.size);
    const y = q.subarray(1 + curve.size);
    return { type, curve, key: createPublicKey({ key: { kty: "EC", crv: curve.name, x: b64url(x), y: b64url(y) }, format: "jwk" }) };
  }
  if (type === "ssh-rsa") {
    const e = r.mpint();
    const n = r.mpint();
    r.end();
    if (n.length * 8 < 2048) throw new WireError("rsa key is shorter than 2048 bits");
    return { type, rsaBytes: n.length, key: createPublicKey({ key: { kty: "RSA", n: b64url(n), e: b64url(e) }, format: "jwk" }) };
  }
  throw new WireError(`key type "${type}" is not supported`);
}

function padLeft(b: Uint8Array, size: number): Buffer {
  if (b.length > size) throw new WireError("signature value is too long for the key");
  return Buffer.concat([Buffer.alloc(size - b.length), b]);
}

/**
 * Checks the inner signature and returns its canonical encoding. ECDSA signatures are
 * malleable (s and n - s both verify), so the canonical form uses the low s; RSA values
 * are padded to the modulus length. The replay list stores a hash of the canonical
 * blob, so a re-encoded copy of an accepted signature is still recognised.
 */
function checkSignature(key: VerifyKey, parsed: ParsedSig, signedData: Buffer): Buffer | undefined {
  const { sigFormat, sigBlob } = parsed;
  if (key.type === "ssh-ed25519") {
    if (sigFormat !== "ssh-ed25519") throw new WireError(`signature format "${sigFormat}" does not match the ed25519 key`);
    if (sigBlob.length !== 64) throw new WireError("ed25519 signature is not 64 bytes");
    return verify(null, signedData, key.key, sigBlob) ? Buffer.from(sigBlob) : undefined;
  }
  if (key.curve) {
    if (sigFormat !== key.type) throw new WireError(`signature format "${sigFormat}" does not match the ${key.type} key`);
    const s = new WireReader(sigBlob, "ecdsa signature");
    const rr = s.mpint();
    const ss = s.mpint();
    s.end();
    const size = key.curve.size;
    const p1363 = Buffer.concat([padLeft(rr, size), padLeft(ss, size)]);
    if (!verify(key.curve.hash, signedData, { key: key.key, dsaEncoding: "ieee-p1363" }, p1363)) return undefined;
    const sVal = BigInt("0x" + (Buffer.from(ss).toString("hex") || "0"));
    const low = sVal > key.curve.order / 2n ? key.curve.order - sVal : sVal;
    const lowHex = low.toString(16).padStart(size * 2, "0");
    return Buffer.concat([sshMpint(rr), sshMpint(Buffer.from(lowHex, "hex"))]);
  }
  // RSA: only the SHA-2 formats; ssh-rsa (SHA-1) signatures are refused as OpenSSH does for SSHSIG.
  const hash = sigFormat === "rsa-sha2-256" ? "sha256" : sigFormat === "rsa-sha2-512" ? "sha512" : undefined;
  if (!hash) throw new WireError(`signature format "${sigFormat}" is not accepted for rsa keys (use rsa-sha2-256 or rsa-sha2-512)`);
  const padded = padLeft(sigBlob, key.rsaBytes!);
  return verify(hash, signedData, key.key, padded) ? padded : undefined;
}

/**
 * Verifies `armored` as a signature of `message` in `namespace` by one of `allowedKeys`
 * (authorized_keys lines). On success `digest` is the hex SHA-256 of the canonical
 * SSHSIG blob, the identity the replay list records.
 */
export function verifySshSig(armored: string, message: Uint8Array, opts: { namespace: string; allowedKeys: readonly string[] }): SshSigResult {
  let parsed: ParsedSig;
  try {
    parsed = parseBlob(dearmor(armored));
  } catch (e) {
    if (e instanceof WireError) return { ok: false, reason: "malformed", message: e.message };
    throw e;
  }
  if (parsed.namespace !== opts.namespace) {
    return { ok: false, reason: "namespace", message: `signature namespace is "${parsed.namespace}", expected "${opts.namespace}" (sign with -n ${opts.namespace})` };
  }
  if (parsed.hashAlgorithm !== "sha256" && parsed.hashAlgorithm !== "sha512") {
    return { ok: false, reason: "unsupported", message: `hash algorithm "${parsed.hashAlgorithm}" is not supported` };
  }
  const keyIndex = opts.allowedKeys.findIndex((line) => {
    const blob = authorizedKeyBlob(line);
    return blob !== undefined && Buffer.from(blob).equals(Buffer.from(parsed.publicKey));
  });
  if (keyIndex < 0) return { ok: false, reason: "unknown-key", message: `signing key ${fingerprint(parsed.publicKey)} is not an admin key of this gateway` };
  let key: VerifyKey;
  try {
    key = publicKeyFromBlob(parsed.publicKey);
  } catch (e) {
    if (e instanceof WireError) return { ok: false, reason: "unsupported", message: e.message };
    throw e;
  }
  const signedData = Buffer.concat([
    MAGIC,
    sshString(parsed.namespace),
    sshString(parsed.reserved),
    sshString(parsed.hashAlgorithm),
    sshString(createHash(parsed.hashAlgorithm).update(message).digest()),
  ]);
  let canonical: Buffer | undefined;
  try {
    canonical = checkSignature(key, parsed, signedData);
  } catch (e) {
    if (e instanceof WireError) return { ok: false, reason: "malformed", message: e.message };
    // node:crypto throws on keys or values OpenSSL refuses outright: a bad signature either way.
    return { ok: false, reason: "bad-signature", message: `signature does not verify: ${(e as Error).message}` };
  }
  if (!canonical) return { ok: false, reason: "bad-signature", message: "signature does not match the submitted bytes" };
  const blob = Buffer.concat([
    MAGIC,
    u32(1),
    sshString(parsed.publicKey),
    sshString(parsed.namespace),
    sshString(parsed.reserved),
    sshString(parsed.hashAlgorithm),
    sshString(Buffer.concat([sshString(parsed.sigFormat), sshString(canonical)])),
  ]);
  return { ok: true, keyIndex, keyType: key.type, fingerprint: fingerprint(parsed.publicKey), digest: createHash("sha256").update(blob).digest("hex") };
}
