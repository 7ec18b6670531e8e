import responseSchema from "../../generated/schemas/update-response.schema.json" with { type: "json" };

/**
 * The total version ordering of specs/update-polling (`upgrade.version-order`).
 * The reference compared versions as strings and installed anything "different",
 * downgrades included (reference defect 6); every install decision goes through here.
 */

export type Order = "less" | "equal" | "greater";

/** The `version` pattern of the `update-response` schema: read from the generated schema, never re-typed. */
const VERSION_PATTERN = new RegExp(responseSchema.properties.version.pattern);
const VERSION_MAX = responseSchema.properties.version.maxLength;

export function isValidVersion(v: string): boolean {
  return v.length >= 1 && v.length <= VERSION_MAX && VERSION_PATTERN.test(v);
}

interface Segment {
  /** leading digits without leading zeros ("" when the segment has no digits, "0" for all-zero digits) */
  digits: string | null;
  suffix: string;
}

function splitSegment(seg: string): Segment {
  const m = /^([0-9]+)(.*)$/s.exec(seg);
  if (!m) return { digits: null, suffix: seg };
  const digits = m[1]!.replace(/^0+(?=.)/, "");
  return { digits, suffix: m[2]! };
}

/** Integer comparison of digit strings without leading zeros; no Number overflow for long build stamps. */
function compareDigits(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Bytewise comparison (UTF-8 bytes; the version pattern is ASCII, so code units suffice). */
function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

function compareSegments(x: Segment, y: Segment): number {
  // A segment with leading digits beats one without.
  if (x.digits !== null && y.digits === null) return 1;
  if (x.digits === null && y.digits !== null) return -1;
  if (x.digits !== null && y.digits !== null) {
    const d = compareDigits(x.digits, y.digits);
    if (d !== 0) return d;
    // Same number: the bare number is the release, a suffix marks a pre-release (2.0 > 2.0-rc1).
    if (x.suffix === "" && y.suffix !== "") return 1;
    if (x.suffix !== "" && y.suffix === "") return -1;
  }
  return Math.sign(compareBytes(x.suffix, y.suffix));
}

/** -1, 0 or 1. Throws on strings that are not versions: callers validate first. */
export function compareVersions(a: string, b: string): -1 | 0 | 1 {
  for (const v of [a, b]) if (!isValidVersion(v)) throw new Error(`not a valid version: ${JSON.stringify(v)}`);
  const as = a.split(".");
  const bs = b.split(".");
  const n = Math.min(as.length, bs.length);
  for (let i = 0; i < n; i++) {
    const c = compareSegments(splitSegment(as[i]!), splitSegment(bs[i]!));
    if (c !== 0) return c < 0 ? -1 : 1;
  }
  return as.length === bs.length ? 0 : as.length < bs.length ? -1 : 1;
}

export function versionOrder(a: string, b: string): Order {
  const c = compareVersions(a, b);
  return c < 0 ? "less" : c > 0 ? "greater" : "equal";
}
