import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, linkSync, writeFileSync, truncateSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import { scenario } from "../../../conformance/binding.js";
import { importConfig } from "../../../device/provisioning/import.js";
import { compress, configText, leftovers, makeKeys, onHost, packBundle, pythonTar, rawTree, scratch, stateTree, writeTree } from "./helpers.js";

let dir: string;
let key: string;
let stored: string;

beforeAll(async () => {
  dir = scratch("prov-bundle-");
  key = makeKeys(dir).ed25519;
  // A stored state every rejection must leave untouched.
  stored = join(dir, "stored", "config");
  const r = await importConfig({ bytes: Buffer.from(configText(key)), filename: "config.toml" }, stored);
  expect(r.ok).toBe(true);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function expectRejected(bytes: Uint8Array, filename: string, pattern: RegExp): Promise<void> {
  const before = rawTree(stored);
  const r = await importConfig({ bytes, filename }, stored);
  expect(r.ok, filename).toBe(false);
  if (r.ok) return;
  expect(r.errors, `${filename}: ${JSON.stringify(r.errors)}`).toHaveLength(1);
  expect(r.errors[0]!.path).toBe("(input)");
  expect(r.errors[0]!.message, filename).toMatch(pattern);
  expect(rawTree(stored)).toEqual(before);
  expect(leftovers(stored)).toEqual([]);
}

function bundleDir(name: string, files: Record<string, string | Buffer>): string {
  const d = join(dir, "src", name);
  rmSync(d, { recursive: true, force: true });
  mkdirSync(d, { recursive: true });
  writeTree(d, { "config.toml": configText(key), ...files });
  return d;
}

scenario("prov.input-kinds.compressed", onHost, async () => {
  const src = bundleDir("both", { "files/app/site.conf": "listen 8080\n" });
  for (const name of ["config.tar.gz", "config.tgz", "config.tar.zst", "config.tar.zstd", "config.tzst"]) {
    const kind = /gz$/.test(name) ? "gzip" : "zstd";
    const bytes = packBundle(src, ["config.toml", "files"], join(dir, name), kind);
    const root = join(dir, `empty-${name}`, "config");
    const r = await importConfig({ bytes, filename: name }, root);
    expect(r, name).toMatchObject({ ok: true });
    expect(readFileSync(join(root, "files/app/site.conf"))).toEqual(readFileSync(join(src, "files/app/site.conf")));
    expect(readFileSync(join(root, "config.toml"))).toEqual(readFileSync(join(src, "config.toml")));
    // Kind comes from the bytes: the same bundle without a name is accepted too.
    expect((await importConfig({ bytes }, join(dir, `noname-${name}`, "config"))).ok).toBe(true);
  }
});

scenario("prov.input-kinds.mismatch", onHost, async () => {
  const src = bundleDir("mm", {});
  const gz = packBundle(src, ["config.toml"], join(dir, "mm.tgz"), "gzip");
  await expectRejected(Buffer.from(configText(key)), "config.tar.gz", /gzip/);
  await expectRejected(gz, "config.tzst", /zstd/);
  const badUtf8 = Buffer.concat([Buffer.from(configText(key)), Buffer.from([0xc3, 0x28, 0x0a])]);
  await expectRejected(badUtf8, "config.toml", /UTF-8/);
  const big = Buffer.alloc(1024 * 1024 + 1, 0x20);
  await expectRejected(big, "config.toml", /1 MiB|1048576/);
  // A gzip bundle named config.toml is refused as well.
  await expectRejected(gz, "config.toml", /plain TOML/);
});

scenario("prov.bundle-members.paths", onHost, async () => {
  const cases: Array<[string, string, RegExp]> = [
    ["abs", 'add("config.toml", CFG)\nadd("/etc/passwd", b"x")', /"\/etc\/passwd".*absolute/],
    ["dotdot", 'add("config.toml", CFG)\nadd("files/../../etc/shadow", b"x")', /files\/\.\.\/\.\.\/etc\/shadow.*"\.\."/],
    ["empty", 'add("config.toml", CFG)\nadd("files//x", b"x")', /files\/\/x.*empty path segment/],
    ["readme", 'add("config.toml", CFG)\nadd("README.md", b"x")', /README\.md.*top level/],
    ["noconfig", 'add("files/a.conf", b"x")', /no top-level config\.toml/],
  ];
  const cfg = JSON.stringify(configText(key));
  for (const [name, script, pattern] of cases) {
    const tarFile = join(dir, `${name}.tar`);
    pythonTar(tarFile, `CFG = ${cfg}.encode()\n${script}`);
    for (const kind of ["gzip", "zstd"] as const) {
      const out = join(dir, `${name}.${kind}`);
      compress(tarFile, out, kind);
      const before = readdirSync("/etc");
      await expectRejected(readFileSync(out), kind === "gzip" ? "config.tgz" : "config.tzst", pattern);
      expect(readdirSync("/etc")).toEqual(before);
    }
  }
  expect(existsSync(join(stored, "..", "etc"))).toBe(false);
  // ./-prefixed members, as `tar -C dir .` writes them, are accepted.
  const src = bundleDir("dot", { "files/a.conf": "a\n" });
  const bytes = packBundle(src, ["./config.toml", "./files/a.conf"], join(dir, "dot.tgz"), "gzip");
  const root = join(dir, "dot-state", "config");
  expect(await importConfig({ bytes, filename: "config.tgz" }, root)).toMatchObject({ ok: true });
  expect(readFileSync(join(root, "files/a.conf"), "utf8")).toBe("a\n");
});

scenario("prov.bundle-members.types", onHost, async () => {
  const src = bundleDir("types", { "files/a.conf": "a\n" });
  symlinkSync("/etc/shadow", join(src, "files", "shadow-link"));
  let bytes = packBundle(src, ["config.toml", "files/a.conf", "files/shadow-link"], join(dir, "sym.tgz"), "gzip");
  await expectRejected(bytes, "config.tgz", /files\/shadow-link.*symbolic link/);
  rmSync(join(src, "files", "shadow-link"));
  linkSync(join(src, "config.toml"), join(src, "files", "hard"));
  bytes = packBundle(src, ["config.toml", "files/hard"], join(dir, "hard.tgz"), "gzip");
  await expectRejected(bytes, "config.tgz", /files\/hard.*hard link/);
  const cfg = JSON.stringify(configText(key));
  const special: Array<[string, string, RegExp]> = [
    ["chr", 'add("files/null", type=tarfile.CHRTYPE, devmajor=1, devminor=3)', /files\/null.*character device/],
    ["blk", 'add("files/sda", type=tarfile.BLKTYPE, devmajor=8, devminor=0)', /files\/sda.*block device/],
    ["fifo", 'add("files/pipe", type=tarfile.FIFOTYPE)', /files\/pipe.*FIFO/],
  ];
  for (const [name, script, pattern] of special) {
    const tarFile = join(dir, `${name}.tar`);
    pythonTar(tarFile, `CFG = ${cfg}.encode()\nadd("config.toml", CFG)\n${script}`);
    compress(tarFile, join(dir, `${name}.tzst`), "zstd");
    await expectRejected(readFileSync(join(dir, `${name}.tzst`)), "config.tzst", pattern);
  }
});

/** Reads /proc/self/io's wchar: bytes this process passed to write(2). */
function writtenBytes(): number {
  return Number(/wchar: (\d+)/.exec(readFileSync("/proc/self/io", "utf8"))![1]);
}

scenario("prov.bundle-limits.boundaries", { targets: ["host"], timeout: 120_000 }, async () => {
  const cfg = JSON.stringify(configText(key));
  // 1000 members (config.toml, files/ and 998 files) and 1001.
  for (const [n, ok] of [[998, true], [999, false]] as const) {
    const tarFile = join(dir, `m${n}.tar`);
    pythonTar(tarFile, `add("config.toml", ${cfg}.encode())\nadd("files", type=tarfile.DIRTYPE, mode=0o755)\nfor i in range(${n}): add("files/f%d" % i, b"x")`);
    compress(tarFile, `${tarFile}.gz`, "gzip");
    if (ok) expect(await importConfig({ bytes: readFileSync(`${tarFile}.gz`), filename: "config.tgz" }, join(dir, `m${n}`, "config"))).toMatchObject({ ok: true });
    else await expectRejected(readFileSync(`${tarFile}.gz`), "config.tgz", /more than 1000 members/);
  }
  // Member paths of 255 and 256 bytes.
  for (const [len, ok] of [[255, true], [256, false]] as const) {
    const name = "files/" + "d".repeat(100) + "/" + "f".repeat(len - 107);
    expect(Buffer.byteLength(name)).toBe(len);
    const tarFile = join(dir, `p${len}.tar`);
    pythonTar(tarFile, `add("config.toml", ${cfg}.encode())\nadd(${JSON.stringify(name)}, b"x")`);
    compress(tarFile, `${tarFile}.zst`, "zstd");
    if (ok) expect(await importConfig({ bytes: readFileSync(`${tarFile}.zst`), filename: "config.tzst" }, join(dir, `p${len}`, "config"))).toMatchObject({ ok: true });
    else await expectRejected(readFileSync(`${tarFile}.zst`), "config.tzst", /255 bytes/);
  }
  // 64 MiB of content (config.toml included) and one byte more.
  const cfgLen = Buffer.byteLength(configText(key));
  for (const [extra, ok] of [[0, true], [1, false]] as const) {
    const src = bundleDir(`size${extra}`, {});
    mkdirSync(join(src, "files"));
    writeFileSync(join(src, "files", "big"), "");
    truncateSync(join(src, "files", "big"), 64 * 1024 * 1024 - cfgLen + extra);
    const bytes = packBundle(src, ["config.toml", "files"], join(dir, `size${extra}.tzst`), "zstd");
    if (ok) {
      const root = join(dir, `size${extra}-state`, "config");
      expect(await importConfig({ bytes, filename: "config.tzst" }, root)).toMatchObject({ ok: true });
      rmSync(join(dir, `size${extra}-state`), { recursive: true, force: true });
    } else await expectRejected(bytes, "config.tzst", /64 MiB limit on unpacked content/);
    rmSync(src, { recursive: true, force: true });
  }
  // A small zstd bundle that would unpack to 1 GiB.
  const bombTar = join(dir, "bomb.tar");
  pythonTar(bombTar, `add("config.toml", ${cfg}.encode())\nclass Z(io.RawIOBase):\n    def __init__(s): s.left = 1 << 30\n    def readinto(s, b):\n        n = min(len(b), s.left); b[:n] = bytes(n); s.left -= n; return n\ni = tarfile.TarInfo("files/zeros"); i.size = 1 << 30\nt.addfile(i, Z())`);
  const bomb = join(dir, "bomb.tzst");
  execFileSync("zstd", ["-q", "-19", "--long=27", "-f", "-o", bomb, bombTar]);
  rmSync(bombTar);
  const bombBytes = readFileSync(bomb);
  expect(bombBytes.length).toBeLessThan(100 * 1024);
  const w0 = writtenBytes();
  await expectRejected(bombBytes, "config.tzst", /64 MiB limit on unpacked content/);
  expect(writtenBytes() - w0).toBeLessThanOrEqual(64 * 1024 * 1024);
});

void stateTree;
