import { posix } from "node:path";
import { mustRun } from "./exec.js";

export interface TreeEntry {
  path: string;
  mode: string;
  /** symlink target as stored */
  link?: string;
}

/**
 * The file tree of a root squashfs, from one `unsquashfs -lln` listing, with path
 * resolution through its symlinks (absolute ones relative to the image root). A
 * NixOS root keeps /etc in the store and links it from the system toplevel, a
 * Debian root (the twin) has it in place: `etc()` finds it in either.
 */
export class RootfsTree {
  readonly entries = new Map<string, TreeEntry>();

  constructor(readonly image: string) {
    const text = mustRun("unsquashfs", ["-lln", "-d", "", image]).toString("utf8");
    for (const line of text.split("\n")) {
      const m = /^(\S{10})\s+\d+\/\d+\s+.*?\d{4}-\d\d-\d\d \d\d:\d\d ?(.*)$/.exec(line);
      if (!m) continue;
      const [path, link] = m[2]!.split(" -> ") as [string, string | undefined];
      const p = path === "" ? "/" : path;
      this.entries.set(p, { path: p, mode: m[1]!, ...(link !== undefined ? { link } : {}) });
    }
    if (this.entries.size === 0) throw new Error(`unsquashfs -lln ${image}: no entries`);
  }

  /** Follows symlinks in every component; undefined when the path does not exist in the image. */
  resolve(path: string, depth = 0): string | undefined {
    if (depth > 40) throw new Error(`${this.image}: symlink loop at ${path}`);
    const parts = posix.normalize(path).split("/").filter(Boolean);
    let cur = "/";
    for (const [i, part] of parts.entries()) {
      const next = posix.join(cur, part);
      const e = this.entries.get(next);
      if (!e) return undefined;
      if (e.link !== undefined) {
        const target = e.link.startsWith("/") ? e.link : posix.join(cur, e.link);
        const resolved = this.resolve(target, depth + 1);
        if (resolved === undefined) return undefined;
        cur = resolved;
      } else cur = next;
      void i;
    }
    return cur;
  }

  exists(path: string): boolean {
    return this.resolve(path) !== undefined;
  }

  /** Bytes of a file (symlinks followed). */
  read(path: string): Buffer {
    const p = this.resolve(path);
    if (!p) throw new Error(`${this.image}: ${path} does not exist`);
    return mustRun("unsquashfs", ["-no-progress", "-cat", this.image, p.slice(1)]);
  }

  /** Direct children of a directory (symlinks followed), as absolute paths in the image. */
  children(dir: string): string[] {
    const d = this.resolve(dir);
    if (!d) return [];
    const prefix = d === "/" ? "/" : `${d}/`;
    return [...this.entries.keys()].filter((p) => p.startsWith(prefix) && p !== d && !p.slice(prefix.length).includes("/"));
  }

  /** The NixOS system toplevel the root's /init links to, if this is a NixOS root. */
  nixosToplevel(): string | undefined {
    const init = this.entries.get("/init");
    return init?.link?.startsWith("/nix/store/") ? posix.dirname(init.link) : undefined;
  }

  /** Where /etc/<rel> lives: the toplevel's etc on a NixOS root, /etc otherwise. */
  etc(rel: string): string {
    const top = this.nixosToplevel();
    return top ? posix.join(top, "etc", rel) : posix.join("/etc", rel);
  }

  /** The system path's bin directories: the toplevel's sw/bin on NixOS, the FHS ones otherwise. */
  systemPath(): string[] {
    const top = this.nixosToplevel();
    return top ? [posix.join(top, "sw/bin"), posix.join(top, "sw/sbin")] : ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];
  }
}
