/**
 * Reader and writer for the SSH wire encoding (RFC 4251 §5: uint32, string, mpint),
 * the building blocks of public key blobs and SSHSIG signatures. The reader is strict:
 * every read is bounds-checked and the caller must consume the whole buffer, so a
 * truncated or padded blob is an error rather than a silently different value.
 */
export class WireError extends Error {}

export class WireReader {
  private off = 0;
  constructor(private readonly buf: Uint8Array, private readonly what: string) {}

  get remaining(): number {
    return this.buf.length - this.off;
  }

  bytes(n: number): Uint8Array {
    if (n > this.remaining) throw new WireError(`${this.what} is truncated`);
    const out = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    return out;
  }

  uint32(): number {
    const b = this.bytes(4);
    return ((b[0]! << 24) >>> 0) + (b[1]! << 16) + (b[2]! << 8) + b[3]!;
  }

  string(): Uint8Array {
    return this.bytes(this.uint32());
  }

  text(): string {
    return Buffer.from(this.string()).toString("latin1");
  }

  /** A non-negative mpint as its minimal unsigned big-endian magnitude; non-canonical encodings are refused. */
  mpint(): Uint8Array {
    const raw = this.string();
    if (raw.length === 0) return raw;
    if (raw[0]! & 0x80) throw new WireError(`${this.what} holds a negative integer`);
    if (raw[0] === 0 && (raw.length === 1 || !(raw[1]! & 0x80))) throw new WireError(`${this.what} holds a non-minimal integer`);
    return raw[0] === 0 ? raw.subarray(1) : raw;
  }

  end(): void {
    if (this.remaining !== 0) throw new WireError(`${this.what} has ${this.remaining} trailing bytes`);
  }
}

export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

export function sshString(data: Uint8Array | string): Buffer {
  const b = typeof data === "string" ? Buffer.from(data, "latin1") : Buffer.from(data);
  return Buffer.concat([u32(b.length), b]);
}

/** Encodes an unsigned big-endian magnitude as a minimal mpint. */
export function sshMpint(magnitude: Uint8Array): Buffer {
  let i = 0;
  while (i < magnitude.length && magnitude[i] === 0) i++;
  const m = Buffer.from(magnitude.subarray(i));
  return sshString(m.length && m[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), m]) : m);
}
