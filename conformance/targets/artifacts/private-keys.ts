import { closeSync, lstatSync, openSync, readFileSync, readdirSync, readSync } from "node:fs";
import { join } from "node:path";
import { mustRun } from "./exec.js";

/** A byte string, or a pattern over the bytes read as latin1, that betrays private key material. */
export type KeyNeedle = { name: string; bytes: Buffer } | { name: string; pattern: RegExp; span: number; notInPrograms: true };

/**
 * A PEM private key block a loader would accept: the armour line, optional RFC 1421
 * headers, then base64 body. The armour text alone is no key: OpenSSH's and OpenSSL's
 * programs carry it as a string constant (followed by a NUL, not by base64 lines).
 */
const PEM_PRIVATE_KEY = /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----\r?\n(?:[A-Za-z0-9-]+: [^\r\n]*\r?\n)*(?:\r?\n)?[A-Za-z0-9+/=]{40,}\r?\n/;

/** Whether one needle occurs in a buffer. */
export function holdsNeedle(view: Buffer, needle: KeyNeedle): boolean {
  return "bytes" in needle ? view.includes(needle.bytes) : needle.pattern.test(view.toString("latin1"));
}

const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

const needleSpan = (n: KeyNeedle) => ("bytes" in n ? n.bytes.length : n.span);

/**
 * What to look for: any PEM private key block, and the DER encodings (PKCS#8 and
 * the algorithm's traditional form) of the given signing key, so a key copied in
 * binary form is found too.
 */
export function privateKeyNeedles(signingKey: string): KeyNeedle[] {
  // Any PEM key block outside programs; ELF programs and libraries carry their own
  // self-test keys in read-only data (GnuTLS does), which are no key of this build, so
  // there only this build's signing key is looked for, in every encoding.
  const needles: KeyNeedle[] = [{ name: "PEM PRIVATE KEY block", pattern: PEM_PRIVATE_KEY, span: 512, notInPrograms: true }];
  const pkcs8 = mustRun("openssl", ["pkey", "-in", signingKey, "-outform", "DER"]);
  needles.push({ name: "signing key (PKCS#8 DER)", bytes: pkcs8 });
  const traditional = mustRun("openssl", ["pkey", "-in", signingKey, "-outform", "DER", "-traditional"]);
  if (!traditional.equals(pkcs8)) needles.push({ name: "signing key (traditional DER)", bytes: traditional });
  // the first PEM body line (48 bytes as base64) of the key file as written and of each DER form
  const bodyLines = new Set([...readFileSync(signingKey, "latin1").matchAll(/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----\r?\n([A-Za-z0-9+/=]{64})/g)].map((m) => m[1]!));
  for (const der of [pkcs8, traditional]) bodyLines.add(der.subarray(0, 48).toString("base64"));
  for (const line of bodyLines) needles.push({ name: "signing key (PEM body)", bytes: Buffer.from(line) });
  return needles;
}

/** Names of the needles found in one file, read in chunks that overlap by the longest needle. */
export function scanFileForKeys(file: string, needles: readonly KeyNeedle[]): string[] {
  const overlap = Math.max(...needles.map(needleSpan)) - 1;
  const found = new Set<string>();
  const chunk = Buffer.alloc(8 * 1024 * 1024 + overlap);
  const fd = openSync(file, "r");
  try {
    const magic = Buffer.alloc(4);
    const isProgram = readSync(fd, magic, 0, 4, 0) === 4 && magic.equals(ELF_MAGIC);
    if (isProgram) needles = needles.filter((n) => !("notInPrograms" in n));
    let pos = 0;
    let carried = 0;
    for (;;) {
      const n = readSync(fd, chunk, carried, chunk.length - carried, pos);
      if (n === 0) break;
      pos += n;
      const view = chunk.subarray(0, carried + n);
      for (const needle of needles) if (holdsNeedle(view, needle)) found.add(needle.name);
      carried = Math.min(overlap, view.length);
      view.copy(chunk, 0, view.length - carried);
    }
  } finally {
    closeSync(fd);
  }
  return [...found];
}

/** Every regular file under dir (symlinks not followed) that holds a needle. */
export function scanTreeForKeys(dir: string, needles: readonly KeyNeedle[]): { file: string; found: string[] }[] {
  const hits: { file: string; found: string[] }[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) {
        const found = scanFileForKeys(p, needles);
        if (found.length) hits.push({ file: p, found });
      }
    }
  };
  walk(dir);
  return hits;
}

/** Certificates (PEM blocks) in a keyring file's text, normalised to their base64 body. */
export function pemCertificates(text: string): string[] {
  return [...text.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)].map((m) => m[1]!.replace(/\s+/g, ""));
}
