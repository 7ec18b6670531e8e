import { execFileSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const onHost = { targets: ["host"] } as const;

/** A scratch directory removed by the caller's afterAll. */
export function scratch(prefix = "prov-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Real keys from ssh-keygen, generated once per test file. */
export function makeKeys(dir: string): Record<"ed25519" | "ecdsa256" | "ecdsa384" | "ecdsa521" | "rsa2048" | "rsa1024", string> {
  const gen = (name: string, args: string[]) => {
    const f = join(dir, name);
    if (!existsSync(f)) execFileSync("ssh-keygen", ["-q", "-N", "", "-C", `${name}@test`, "-f", f, ...args]);
    return readFileSync(`${f}.pub`, "utf8").trim();
  };
  return {
    ed25519: gen("ed25519", ["-t", "ed25519"]),
    ecdsa256: gen("ecdsa256", ["-t", "ecdsa", "-b", "256"]),
    ecdsa384: gen("ecdsa384", ["-t", "ecdsa", "-b", "384"]),
    ecdsa521: gen("ecdsa521", ["-t", "ecdsa", "-b", "521"]),
    rsa2048: gen("rsa2048", ["-t", "rsa", "-b", "2048"]),
    rsa1024: gen("rsa1024", ["-t", "rsa", "-b", "1024"]),
  };
}

export interface ConfigParts {
  version?: string | null;
  keys?: string[];
  firewall?: string;
  lan?: string;
  health?: string;
  osUpgrade?: string;
  containers?: string;
  extra?: string;
}

const tomlString = (s: string) => JSON.stringify(s);

/** A configuration in TOML text; every part can be replaced to test one rule. */
export function configText(key: string, p: ConfigParts = {}): string {
  const lines: string[] = [];
  if (p.version !== null) lines.push(`version = ${p.version ?? "1"}`);
  lines.push("[admin]", `ssh_keys = [${(p.keys ?? [key]).map(tomlString).join(", ")}]`);
  lines.push(p.firewall ?? "[firewall.inbound]\ntcp = [443]\nudp = [1194]");
  if (p.lan !== undefined) lines.push(p.lan);
  if (p.osUpgrade !== undefined) lines.push(p.osUpgrade);
  lines.push(p.health ?? '[health]\nrequired = ["myapp"]');
  lines.push(
    p.containers ?? '[container.myapp]\nprivileged = false\n[container.myapp.Container]\nImage = "ghcr.io/example/myapp:latest"\nPublishPort = ["10080:8080"]',
  );
  if (p.extra !== undefined) lines.push(p.extra);
  return lines.join("\n") + "\n";
}

/** Packs `dir`'s given members with the system tar and compresses with gzip or zstd. */
export function packBundle(dir: string, members: string[], out: string, kind: "gzip" | "zstd", tarArgs: string[] = []): Buffer {
  const tarFile = `${out}.tar`;
  execFileSync("tar", ["-cf", tarFile, "-C", dir, ...tarArgs, ...members]);
  compress(tarFile, out, kind);
  rmSync(tarFile);
  return readFileSync(out);
}

export function compress(tarFile: string, out: string, kind: "gzip" | "zstd"): void {
  if (kind === "gzip") writeFileSync(out, execFileSync("gzip", ["-c", "-n", tarFile], { maxBuffer: 1 << 30 }));
  else execFileSync("zstd", ["-q", "-f", "-o", out, tarFile]);
}

/** Builds a tar with Python's tarfile, for member kinds GNU tar will not archive from a plain directory. */
export function pythonTar(out: string, script: string): void {
  execFileSync("python3", ["-c", `import tarfile, io\nt = tarfile.open(${JSON.stringify(out)}, "w")\ndef add(name, data=b"", **kw):\n    i = tarfile.TarInfo(name)\n    i.size = len(data)\n    for k, v in kw.items(): setattr(i, k, v)\n    t.addfile(i, io.BytesIO(data) if data else None)\n${script}\nt.close()\n`]);
}

export interface TreeEntry {
  type: "file" | "dir" | "link" | "missing";
  mode?: number;
  bytes?: string;
  target?: string;
  mtimeMs?: number;
}

/** The state as readers see it: every path reached through root, links followed (except .current/.generations internals). */
export function stateTree(root: string, opts: { followEntries?: boolean } = {}): Record<string, TreeEntry> {
  const out: Record<string, TreeEntry> = {};
  const walk = (abs: string, rel: string) => {
    let st;
    try {
      st = opts.followEntries === false ? lstatSync(abs) : statSync(abs);
    } catch {
      out[rel] = { type: "missing" };
      return;
    }
    if (st.isDirectory()) {
      out[rel] = { type: "dir", mode: st.mode & 0o7777 };
      for (const n of readdirSync(abs).sort()) walk(join(abs, n), `${rel}/${n}`);
    } else if (st.isSymbolicLink()) out[rel] = { type: "link", target: readlinkSync(abs) };
    else out[rel] = { type: "file", mode: st.mode & 0o7777, bytes: readFileSync(abs).toString("base64") };
  };
  if (!existsSync(root)) return out;
  for (const n of readdirSync(root).sort()) {
    if (n.startsWith(".")) continue;
    walk(join(root, n), n);
  }
  return out;
}

/** Everything under root, links not followed, with mtimes: for "nothing changed" checks. */
export function rawTree(root: string): Record<string, TreeEntry> {
  const out: Record<string, TreeEntry> = {};
  const walk = (abs: string, rel: string) => {
    const st = lstatSync(abs);
    if (st.isSymbolicLink()) out[rel] = { type: "link", target: readlinkSync(abs), mtimeMs: st.mtimeMs };
    else if (st.isDirectory()) {
      out[rel] = { type: "dir", mode: st.mode & 0o7777, mtimeMs: st.mtimeMs };
      for (const n of readdirSync(abs).sort()) walk(join(abs, n), `${rel}/${n}`);
    } else out[rel] = { type: "file", mode: st.mode & 0o7777, bytes: readFileSync(abs).toString("base64"), mtimeMs: st.mtimeMs };
  };
  for (const n of readdirSync(root).sort()) walk(join(root, n), n);
  return out;
}

export function writeTree(dir: string, files: Record<string, string | Buffer>): void {
  for (const [rel, data] of Object.entries(files)) {
    mkdirSync(join(dir, rel, ".."), { recursive: true });
    writeFileSync(join(dir, rel), data);
  }
}

export function leftovers(root: string): string[] {
  const names = existsSync(root) ? readdirSync(root) : [];
  return names.filter((n) => n.startsWith(".staging-") || n.startsWith(".current.new-") || n.startsWith(".replaced-"));
}
