import { gzipSync } from "node:zlib";
import tar from "tar-stream";

/**
 * Input generators shared by the fuzz benchmark (bench/provisioning-fuzz.ts) and the
 * property test: valid-shaped configurations with random faults, byte mutations,
 * random bytes, and bundles (gzip, and zstd built from raw blocks) whose members mix
 * legal and hostile entries. All are driven by a seeded PRNG so a failure replays.
 */
export type Rand = () => number;

export function prng(seed: number): Rand {
  let s = seed >>> 0 || 1;
  return () => {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const chance = (r: Rand, p: number) => r() < p;
const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const q = (s: string) => JSON.stringify(s);

const PORTS = ["1", "22", "443", "65535", "0", "65536", "80.5", "true", '"443"', "443", "-1", "1e3", "0x50"];
const HOSTS = ["local", "Site.Example.", "-bad", "a..b", "under_score", "gw", "GW", "x".repeat(64), "ok.example"];
const IPS = ["172.20.30.1/24", "10.50.0.1/24", "10.50.0.1/16", "10.50.0.0/24", "127.0.0.1/24", "224.0.0.1/24", "10.050.0.1/24", "300.1.1.1/24", "10.50.0.255/24"];
const ADDRS = ["10.50.0.10", "10.50.0.254", "10.50.0.0", "10.50.0.255", "10.50.1.10", "172.20.30.100", "10.50.0.1", "nope"];
// Long names (at, past and far past the 64-character limit, 246 once broke import) and case twins of the usual ones.
const NAMES = ["web", "db", "myapp", "my.app", "__proto__", "constructor", "a-b_c", "", "x y", "Web", "DB", "n".repeat(64), "n".repeat(65), "n".repeat(246), "n".repeat(300)];
const IMAGES = ['"localhost/web:1"', '""', '["a", "b"]', "1", '"ghcr.io/example/app:latest"'];
const CONTAINER_KEYS = ['Exec = ["--serve", "--port=8080"]', 'Pull = ["always", "never"]', `Environment = [${Array.from({ length: 300 }, (_, i) => `"V${i}=1"`).join(", ")}]`, `Environment = "A=${"x".repeat(9000)}"`, 'Volume = ["${CONFIG_DIR}/local.env:/e:ro"]', 'Network = "bridge"', 'PublishPort = ["10080:8080"]', 'Environment = ["A=1"]', "Environment = []", 'Environment = { A = "1" }', "Volume = [\"${FILES_DIR}/x:/x:ro\"]", 'Network = "host"', 'Exec = "sleep 1"', "Bogus = 1", 'PodmanArgs = "--privileged"'];

export function validShaped(r: Rand, keys: readonly string[]): string {
  // Half the configurations are clean; the other half carry a few faults each.
  const bad = chance(r, 0.5);
  const f = (p: number) => bad && chance(r, p);
  const out: string[] = [];
  if (!f(0.05)) out.push(`version = ${f(0.15) ? pick(r, ["2", "1.0", "true", '"1"']) : "1"}`);
  if (f(0.05)) out.push(`extra = ${pick(r, ["1", '"x"'])}`);
  const keyPool = ["ssh-ed25519", "ssh-ed25519 @@@@", "ssh-dss AAAA", `ssh-rsa ${keys[0]?.split(" ")[1] ?? "AAAA"}`];
  const nKeys = f(0.05) ? 0 : int(r, 1, 3);
  out.push("[admin]", `ssh_keys = [${Array.from({ length: nKeys }, () => q(f(0.1) ? pick(r, keyPool) : pick(r, keys))).join(", ")}]`);
  // Now and then a huge list: past the 256-port limit, once up to 20,000 entries.
  const count = () => (f(0.04) ? pick(r, [257, 1000, 20_000]) : int(r, 1, 4) - (f(0.1) ? 1 : 0));
  const ports = () => `[${Array.from({ length: count() }, (_, i) => (f(0.1) ? pick(r, PORTS) : String((i % 65535) + 1))).join(", ")}]`;
  out.push("[firewall.inbound]");
  const form = f(0.1) ? 3 : int(r, 0, 2);
  if (form === 0 || form === 3) out.push(`tcp = ${ports()}`, ...(chance(r, 0.5) ? [`udp = ${ports()}`] : []));
  if (form >= 1) out.push(`wan = { tcp = ${ports()} }`, ...(chance(r, 0.5) ? [`lan = { udp = ${ports()} }`] : []));
  if (chance(r, 0.5)) {
    out.push("[lan]");
    const custom = chance(r, 0.5);
    if (custom) out.push(`gateway_cidr = ${q(f(0.3) ? pick(r, IPS) : "10.50.0.1/24")}`);
    if (custom && chance(r, 0.5)) out.push(`dhcp_start = ${q(f(0.3) ? pick(r, ADDRS) : "10.50.0.100")}`, `dhcp_end = ${q(f(0.3) ? pick(r, ADDRS) : "10.50.0.200")}`);
    if (chance(r, 0.4)) out.push(`domain = ${q(f(0.3) ? pick(r, HOSTS) : pick(r, ["local", "Site.Example.", "ok.example"]))}`);
    if (chance(r, 0.3)) out.push(`hostname_pattern = ${q(f(0.3) ? pick(r, ["gateway", "x".repeat(60) + "{mac}", "{mac}{"]) : pick(r, ["atomicnix-{mac}", "Edge-{mac}", "{mac}{mac}"]))}`);
    if (chance(r, 0.3)) out.push(`gateway_aliases = [${Array.from({ length: int(r, 0, 3) }, () => q(f(0.2) ? pick(r, HOSTS) : pick(r, ["gw", "GW", "atomicnix"]))).join(", ")}]`);
  }
  if (chance(r, 0.3)) out.push("[os_upgrade]", `server_url = ${q(f(0.3) ? pick(r, ["", "ftp://x", "https://"]) : pick(r, ["https://updates.example.com", "http://10.0.0.1:8080/x"]))}`);
  const containers = Array.from(new Set(Array.from({ length: int(r, f(0.05) ? 0 : 1, 3) }, () => (f(0.1) ? pick(r, NAMES) : pick(r, ["web", "db", "myapp"])))));
  const required = containers.length ? containers.slice(0, int(r, 1, containers.length)) : [];
  if (f(0.1)) required.push("cache");
  out.push("[health]", `required = [${required.map(q).join(", ")}]`);
  for (const name of containers) {
    const t = `container.${q(name)}`;
    out.push(`[${t}]`);
    if (!f(0.05)) out.push(`privileged = ${f(0.1) ? '"yes"' : pick(r, ["true", "false"])}`);
    if (f(0.05)) continue;
    out.push(`[${t}.Container]`);
    if (!f(0.05)) out.push(`Image = ${f(0.15) ? pick(r, IMAGES) : '"localhost/app:1"'}`);
    const lines = new Set<string>();
    for (let i = int(r, 0, 2); i > 0; i--) lines.add(f(0.3) ? pick(r, CONTAINER_KEYS) : pick(r, CONTAINER_KEYS.slice(1, 2)));
    out.push(...lines);
  }
  if (chance(r, 0.1)) out.push("[network.lan0]", ...(!f(0.3) ? ["[network.lan0.Network]", 'Subnet = "10.89.0.0/24"'] : []));
  if (chance(r, 0.05)) out.push("[volume.data]", "[volume.data.Volume]", 'Label = ["a=b"]');
  return out.join("\n") + "\n";
}

export function mutate(r: Rand, text: string): Uint8Array {
  const b = Array.from(Buffer.from(text));
  for (let k = int(r, 1, 6); k > 0; k--) {
    const at = int(r, 0, b.length);
    const op = int(r, 0, 3);
    if (op === 0) b.splice(at, 1);
    else if (op === 1) b.splice(at, 0, pick(r, [0x22, 0x3d, 0x5b, 0x5d, 0x0a, 0x2e, 0x7b, 0x2c, int(r, 0, 255)]));
    else if (op === 2 && at < b.length) b[at] = int(r, 0, 255);
    else b.splice(at, int(r, 0, 20));
  }
  return Uint8Array.from(b);
}

export function randomBytes(r: Rand, max = 2048): Uint8Array {
  const b = new Uint8Array(int(r, 0, max));
  for (let i = 0; i < b.length; i++) b[i] = int(r, 0, 255);
  if (b.length >= 4 && chance(r, 0.3)) b.set(pick(r, [[0x1f, 0x8b], [0x28, 0xb5, 0x2f, 0xfd]]), 0);
  return b;
}

/** A zstd frame of raw (stored) blocks: valid zstd without a compressor. */
export function zstdStored(data: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [Uint8Array.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x50])]; // FHD 0, window 1 MiB
  const max = 128 * 1024;
  let off = 0;
  do {
    const n = Math.min(max, data.length - off);
    const last = off + n >= data.length ? 1 : 0;
    const h = (n << 3) | last;
    parts.push(Uint8Array.from([h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff]), data.subarray(off, off + n));
    off += n;
  } while (off < data.length);
  return Buffer.concat(parts);
}

type Member = { name: string; type?: "file" | "directory" | "symlink" | "link" | "character-device" | "fifo"; data?: string; linkname?: string; mode?: number };

export async function tarOf(members: Member[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on("data", (c: unknown) => void chunks.push(c as Buffer));
  const done = new Promise<void>((res, rej) => {
    pack.on("end", res);
    pack.on("error", rej);
  });
  for (const m of members) {
    const data = m.data ?? "";
    const header = { name: m.name, type: m.type ?? "file", mode: m.mode ?? 0o644, ...(m.linkname ? { linkname: m.linkname } : {}), size: m.type && m.type !== "file" ? 0 : Buffer.byteLength(data) };
    await new Promise<void>((res, rej) => {
      const cb = (e?: Error | null) => (e ? rej(e) : res());
      if (m.type && m.type !== "file") pack.entry(header, cb);
      else pack.entry(header, data, cb);
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export async function bundle(r: Rand, keys: readonly string[]): Promise<{ bytes: Uint8Array; filename: string }> {
  const members: Member[] = [];
  if (!chance(r, 0.1)) members.push({ name: pick(r, ["config.toml", "./config.toml", "config.toml"]), data: validShaped(r, keys) });
  const hostile: Member[] = [
    { name: "/etc/passwd", data: "x" },
    { name: "files/../../etc/shadow", data: "x" },
    { name: "files//x", data: "x" },
    { name: "README.md", data: "x" },
    { name: "files/link", type: "symlink", linkname: "/etc/shadow" },
    { name: "files/hard", type: "link", linkname: "config.toml" },
    { name: "files/null", type: "character-device" },
    { name: "files/pipe", type: "fifo" },
    { name: "config.toml", data: "version = 1\n" },
    { name: "files", data: "not a dir" },
  ];
  for (let i = int(r, 0, 4); i > 0; i--) {
    if (chance(r, 0.8)) members.push({ name: `files/${pick(r, ["a", "b/c", "d/e/f"])}${int(r, 0, 9)}.conf`, data: "k=v\n".repeat(int(r, 0, 50)), mode: pick(r, [0o644, 0o755, 0o600, 0o777]) });
    else members.push(pick(r, hostile));
  }
  if (chance(r, 0.2)) members.push({ name: "files/", type: "directory" });
  const tarBytes = await tarOf(members);
  const zstd = chance(r, 0.5);
  let bytes: Uint8Array = zstd ? zstdStored(tarBytes) : gzipSync(tarBytes);
  if (chance(r, 0.15)) bytes = mutateBytes(r, bytes);
  const filename = chance(r, 0.1) ? pick(r, ["config.toml", "config.tgz", "config.tzst"]) : zstd ? pick(r, ["config.tar.zst", "config.tar.zstd", "config.tzst"]) : pick(r, ["config.tar.gz", "config.tgz"]);
  return { bytes, filename };
}

function mutateBytes(r: Rand, b: Uint8Array): Uint8Array {
  const out = Uint8Array.from(b);
  for (let k = int(r, 1, 4); k > 0; k--) if (out.length) out[int(r, 0, out.length - 1)] = int(r, 0, 255);
  return out;
}

/**
 * The size attacks a new operator hit, always part of a campaign besides the random
 * inputs: long and case-colliding names, huge arrays, oversized values.
 */
export function sizeAttacks(keys: readonly string[]): string[] {
  const head = (ports: string) => `version = 1\n[admin]\nssh_keys = [${JSON.stringify(keys[0])}]\n[firewall.inbound]\ntcp = ${ports}\n`;
  const unit = (name: string, extra = "") => `[container.${JSON.stringify(name)}]\nprivileged = false\n[container.${JSON.stringify(name)}.Container]\nImage = "localhost/app:1"\n${extra}`;
  const health = (name: string) => `[health]\nrequired = [${JSON.stringify(name)}]\n`;
  const list = (n: number, f: (i: number) => string) => `[${Array.from({ length: n }, (_, i) => f(i)).join(", ")}]`;
  return [
    ...[64, 65, 246, 255, 256, 1000].map((n) => head("[443]") + health("n".repeat(n)) + unit("n".repeat(n))),
    head("[443]") + health("web") + unit("web") + unit("Web"),
    head("[443]") + health("web") + unit("web") + `[network.lan0]\n[network.lan0.Network]\n[network.LAN0]\n[network.LAN0.Network]\n`,
    head(list(150_000, (i) => String((i % 65535) + 1))) + health("web") + unit("web"),
    head("[443]") + health("web") + unit("web", `Environment = ${list(20_000, (i) => `"V${i}=1"`)}\n`),
    head("[443]") + health("web") + unit("web", `Environment = "A=${"x".repeat(100_000)}"\n`),
    `version = 1\n[admin]\nssh_keys = ${list(5000, () => JSON.stringify(keys[0]))}\n[firewall.inbound]\ntcp = [443]\n` + health("web") + unit("web"),
    head("[443]") + `[health]\nrequired = ${list(5000, () => '"web"')}\n` + unit("web"),
    head("[443]") + health("c0") + Array.from({ length: 200 }, (_, i) => unit(`c${i}`)).join(""),
  ];
}

export type FuzzInput = { kind: "valid-shaped" | "mutation" | "random" | "bundle"; bytes: Uint8Array; filename?: string };

export async function generate(r: Rand, keys: readonly string[]): Promise<FuzzInput> {
  const k = r();
  if (k < 0.4) return { kind: "valid-shaped", bytes: Buffer.from(validShaped(r, keys)), filename: "config.toml" };
  if (k < 0.7) return { kind: "mutation", bytes: mutate(r, validShaped(r, keys)), ...(chance(r, 0.5) ? { filename: "config.toml" } : {}) };
  if (k < 0.8) return { kind: "random", bytes: randomBytes(r) };
  const b = await bundle(r, keys);
  return { kind: "bundle", ...b };
}
