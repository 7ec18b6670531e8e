import { createPublicKey } from "node:crypto";

/**
 * Checks one `authorized_keys`-style public key line for real: the blob must be
 * canonical base64 of the SSH wire format (RFC 4253 6.6, RFC 5656 3.1, RFC 8709),
 * its embedded type must equal the declared one, the key data must be well-formed
 * (and load as a key) and RSA moduli must have at least 2048 bits.
 */
const SSH_KEY_TYPES = ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa"] as const;
type SshKeyType = (typeof SSH_KEY_TYPES)[number];

export interface SshKey {
  type: SshKeyType;
  blob: string;
  line: string;
}

const ECDSA: Record<string, { curve: string; jwk: string; coord: number }> = {
  "ecdsa-sha2-nistp256": { curve: "nistp256", jwk: "P-256", coord: 32 },
  "ecdsa-sha2-nistp384": { curve: "nistp384", jwk: "P-384", coord: 48 },
  "ecdsa-sha2-nistp521": { curve: "nistp521", jwk: "P-521", coord: 66 },
};

class WireReader {
  private off = 0;
  constructor(private readonly buf: Buffer) {}

  string(what: string): Buffer {
    if (this.off + 4 > this.buf.length) throw new Error(`key data ends before the length of ${what}`);
    const len = this.buf.readUInt32BE(this.off);
    this.off += 4;
    if (len > this.buf.length - this.off) throw new Error(`${what} is longer than the key data`);
    const out = this.buf.subarray(this.off, this.off + len);
    this.off += len;
    return out;
  }

  /** An mpint that must be positive and minimally encoded. */
  positiveMpint(what: string): Buffer {
    const b = this.string(what);
    if (b.length === 0 || (b[0]! & 0x80) !== 0) throw new Error(`${what} is not a positive integer`);
    if (b.length > 1 && b[0] === 0 && (b[1]! & 0x80) === 0) throw new Error(`${what} has a superfluous leading zero`);
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    return b.subarray(i);
  }

  end(): void {
    if (this.off !== this.buf.length) throw new Error(`${this.buf.length - this.off} unexpected bytes after the key`);
  }
}

function bitLength(n: Buffer): number {
  if (n.length === 0 || (n.length === 1 && n[0] === 0)) return 0;
  return (n.length - 1) * 8 + (32 - Math.clz32(n[0]!));
}

const b64url = (b: Buffer) => b.toString("base64url");

/** Parses and checks a key line; throws an Error whose message says what is wrong. */
export function checkSshKey(line: string): SshKey {
  const parts = line.split(" ");
  const type = parts[0] ?? "";
  const blob = parts[1] ?? "";
  if (!(SSH_KEY_TYPES as readonly string[]).includes(type)) {
    throw new Error(`unsupported key type "${type}" (expected one of ${SSH_KEY_TYPES.join(", ")})`);
  }
  if (!blob) throw new Error("the base64 key blob is missing");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(blob) || blob.length % 4 !== 0) throw new Error("the key blob is not valid base64");
  const data = Buffer.from(blob, "base64");
  if (data.toString("base64") !== blob) throw new Error("the key blob is not canonical base64");
  const r = new WireReader(data);
  let embedded: string;
  try {
    embedded = r.string("the key type").toString("latin1");
  } catch {
    throw new Error("the key blob is not SSH key data");
  }
  if (embedded !== type) throw new Error(`the key blob holds a ${JSON.stringify(embedded)} key, not ${type}`);
  if (type === "ssh-ed25519") {
    const pk = r.string("the ed25519 key");
    r.end();
    if (pk.length !== 32) throw new Error(`an ed25519 key has 32 bytes, this one ${pk.length}`);
    createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: b64url(pk) }, format: "jwk" });
  } else if (type === "ssh-rsa") {
    const e = r.positiveMpint("the RSA exponent");
    const n = r.positiveMpint("the RSA modulus");
    r.end();
    const bits = bitLength(n);
    if (bits < 2048) throw new Error(`the RSA modulus has ${bits} bits; at least 2048 are required`);
    if (bits > 16384) throw new Error(`the RSA modulus has ${bits} bits; at most 16384 are accepted`);
    if ((e[e.length - 1]! & 1) === 0 || bitLength(e) < 2 || e.length > 8) throw new Error("the RSA exponent is not a valid public exponent");
    createPublicKey({ key: { kty: "RSA", n: b64url(n), e: b64url(e) }, format: "jwk" });
  } else {
    const spec = ECDSA[type]!;
    const curve = r.string("the curve name").toString("latin1");
    if (curve !== spec.curve) throw new Error(`the key blob names curve ${JSON.stringify(curve)}, but ${type} needs ${spec.curve}`);
    const q = r.string("the public point");
    r.end();
    if (q.length !== 1 + 2 * spec.coord || q[0] !== 0x04) throw new Error(`the public point is not an uncompressed ${spec.curve} point`);
    try {
      // OpenSSL refuses points that are not on the curve.
      createPublicKey({ key: { kty: "EC", crv: spec.jwk, x: b64url(q.subarray(1, 1 + spec.coord)), y: b64url(q.subarray(1 + spec.coord)) }, format: "jwk" });
    } catch {
      throw new Error(`the public point is not on curve ${spec.curve}`);
    }
  }
  return { type: type as SshKeyType, blob, line };
}
