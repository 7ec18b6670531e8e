import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync } from "node:fs";
import { join } from "node:path";

/**
 * What an ELF file is, read from its headers (64- and 32-bit, little-endian: amd64,
 * arm64): whether it is a shared library (ET_DYN with a DT_SONAME; a PIE executable
 * is ET_DYN too but names no soname) and the file ranges of its `.rodata` sections
 * (allocated, neither writable nor executable, holding bytes).
 * `undefined` for anything that is not such an ELF file.
 */
export interface ElfLayout {
  sharedLibrary: boolean;
  soname?: string;
  readOnlyData: { name: string; start: number; end: number }[];
}

const SHF_WRITE = 1n;
const SHF_ALLOC = 2n;
const SHF_EXECINSTR = 4n;
const SHT_NOBITS = 8;
const SHT_DYNAMIC = 6;
const SHT_STRTAB = 3;
const DT_SONAME = 14n;
const ET_DYN = 3;

export function elfLayout(file: string): ElfLayout | undefined {
  const fd = openSync(file, "r");
  try {
    const read = (offset: number, length: number): Buffer => {
      const b = Buffer.alloc(length);
      const n = readSync(fd, b, 0, length, offset);
      if (n !== length) throw new Error(`${file}: short read at ${offset}`);
      return b;
    };
    let ident: Buffer;
    try {
      ident = read(0, 64);
    } catch {
      return undefined;
    }
    if (ident.readUInt32BE(0) !== 0x7f454c46 || ident[5] !== 1) return undefined;
    const wide = ident[4] === 2;
    const word = (b: Buffer, o: number): bigint => (wide ? b.readBigUInt64LE(o) : BigInt(b.readUInt32LE(o)));
    const type = ident.readUInt16LE(16);
    const shoff = Number(word(ident, wide ? 0x28 : 0x20));
    const shentsize = ident.readUInt16LE(wide ? 0x3a : 0x2e);
    const shnum = ident.readUInt16LE(wide ? 0x3c : 0x30);
    const shstrndx = ident.readUInt16LE(wide ? 0x3e : 0x32);
    const sections = [...Array(shnum).keys()].map((i) => {
      const h = read(shoff + i * shentsize, shentsize);
      return {
        nameOff: h.readUInt32LE(0),
        type: h.readUInt32LE(4),
        flags: word(h, 8),
        offset: Number(word(h, wide ? 0x18 : 0x10)),
        size: Number(word(h, wide ? 0x20 : 0x14)),
        link: h.readUInt32LE(wide ? 0x28 : 0x18),
      };
    });
    const strings = (idx: number): Buffer | undefined => (sections[idx]?.type === SHT_STRTAB ? read(sections[idx]!.offset, sections[idx]!.size) : undefined);
    const cstr = (table: Buffer | undefined, at: number): string => (table ? table.subarray(at, table.indexOf(0, at)).toString("latin1") : "");
    const names = strings(shstrndx);
    let soname: string | undefined;
    for (const s of sections.filter((x) => x.type === SHT_DYNAMIC)) {
      const dyn = read(s.offset, s.size);
      const entry = wide ? 16 : 8;
      for (let o = 0; o + entry <= dyn.length; o += entry) {
        if (word(dyn, o) === DT_SONAME) soname = cstr(strings(s.link), Number(word(dyn, o + (wide ? 8 : 4))));
      }
    }
    const readOnlyData = sections
      .filter((s) => (s.flags & SHF_ALLOC) !== 0n && (s.flags & (SHF_WRITE | SHF_EXECINSTR)) === 0n && s.type !== SHT_NOBITS && s.size > 0)
      .map((s) => ({ name: cstr(names, s.nameOff), start: s.offset, end: s.offset + s.size }))
      .filter((s) => s.name === ".rodata" || s.name.startsWith(".rodata."));
    return { sharedLibrary: type === ET_DYN && soname !== undefined, ...(soname ? { soname } : {}), readOnlyData };
  } finally {
    closeSync(fd);
  }
}

/**
 * The distribution package a file of an extracted root belongs to: the Debian
 * package whose dpkg file list names it (usr-merged paths match either way), or
 * the nixpkgs store path it lies in. Undefined for anything else, including the
 * files this repository installs (its runtime package is excluded by name).
 */
export function distributionOwner(root: string, path: string, lists = dpkgLists(root)): string | undefined {
  const store = /^\/nix\/store\/([0-9a-z]{32}-[^/]+)\//.exec(path);
  if (store) return store[1]!.slice(33).startsWith("atomicnix-") ? undefined : `nixpkgs ${store[1]!.slice(33)}`;
  const alt = path.startsWith("/usr/") ? path.slice(4) : `/usr${path}`;
  return lists.get(path) ?? lists.get(alt);
}

const listCache = new Map<string, Map<string, string>>();
function dpkgLists(root: string): Map<string, string> {
  const cached = listCache.get(root);
  if (cached) return cached;
  const owners = new Map<string, string>();
  const dir = join(root, "var/lib/dpkg/info");
  for (const f of existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith(".list")) : []) {
    const pkg = `dpkg ${f.slice(0, -".list".length)}`;
    for (const line of readFileSync(join(dir, f), "utf8").split("\n")) if (line) owners.set(line, pkg);
  }
  listCache.set(root, owners);
  return owners;
}
