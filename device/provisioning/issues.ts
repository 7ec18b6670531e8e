/**
 * A problem found in an input. `path` is a dotted, indexed config path such as
 * `firewall.inbound.tcp[0]` (keys outside `^[A-Za-z0-9_-]+$` quoted as `["key"]`),
 * `(toml)` for syntax errors (with line and column) or `(input)` for file and
 * bundle errors. The Quadlet renderer and the console use the same shape.
 */
export interface Issue {
  path: string;
  message: string;
  line?: number;
  column?: number;
}

export type Segment = string | number;

const BARE_KEY = /^[A-Za-z0-9_-]+$/;

/** Renders path segments as `a.b[0]["x.y"]`. */
export function formatPath(segments: readonly Segment[]): string {
  let out = "";
  for (const s of segments) {
    if (typeof s === "number") out += `[${s}]`;
    else if (BARE_KEY.test(s)) out += out ? `.${s}` : s;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

/** Collects issues, at most one per path: the first reported explanation wins. */
export class IssueList {
  readonly items: Issue[] = [];
  private readonly paths = new Set<string>();

  add(path: string, message: string, extra?: { line?: number; column?: number }): void {
    if (this.paths.has(path)) return;
    this.paths.add(path);
    this.items.push({ path, message, ...extra });
  }

  at(segments: readonly Segment[], message: string): void {
    this.add(formatPath(segments), message);
  }

  has(path: string): boolean {
    return this.paths.has(path);
  }

  /** True when a path or anything below it already has an issue. */
  hasAtOrBelow(path: string): boolean {
    for (const p of this.paths) if (p === path || p.startsWith(`${path}.`) || p.startsWith(`${path}[`)) return true;
    return false;
  }

  get length(): number {
    return this.items.length;
  }
}

export function describe(issue: Issue): string {
  return `${issue.path}: ${issue.message}`;
}

/** Inverse of formatPath for the paths this module produces. */
export function parsePath(path: string): Segment[] {
  const out: Segment[] = [];
  const re = /(?:^|\.)([A-Za-z0-9_-]+)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(path))) {
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(Number(m[2]));
    else out.push(JSON.parse(m[3]!) as string);
    if (re.lastIndex >= path.length) break;
  }
  return out;
}
