import type { ErrorObject } from "ajv";
import type { Segment } from "./issues.js";
import { formatPath } from "./issues.js";
import { decodePointer } from "../../lib/json-pointer.js";

/**
 * Turns ajv errors of the generated `config-toml` validator into one `path: message`
 * per config path. ajv reports several keywords for one bad value (type and const,
 * both branches of an anyOf, a propertyNames pattern and the propertyNames wrapper);
 * an operator needs one sentence per place, so they are merged here.
 */
export interface SchemaIssue {
  segments: Segment[];
  path: string;
  message: string;
}

const PORT_PATH = /^firewall\.inbound(\.(wan|lan))?\.(tcp|udp)\[\d+\]$/;
const SCALAR_OR_LIST = "expected a string, number or boolean, or a non-empty array of them";

/** Decodes an ajv instancePath against the document so numeric map keys stay keys. */
function pointerSegments(pointer: string, doc: unknown): Segment[] {
  const out: Segment[] = [];
  let node: unknown = doc;
  for (const key of decodePointer(pointer)) {
    if (Array.isArray(node)) {
      const i = Number(key);
      out.push(i);
      node = node[i];
    } else {
      out.push(key);
      node = typeof node === "object" && node !== null ? (node as Record<string, unknown>)[key] : undefined;
    }
  }
  return out;
}

function knownExpectation(path: string): string | undefined {
  if (path === "version") return "expected the integer 1";
  if (PORT_PATH.test(path)) return "expected integer 1..65535";
  return undefined;
}

function patternMessage(path: string, pattern: string): string {
  if (/^admin\.ssh_keys\[\d+\]$/.test(path)) return "expected an OpenSSH public key `<type> <base64> [comment]` without options";
  if (path === "lan.gateway_cidr") return "expected an IPv4 address with prefix, e.g. 172.20.30.1/24 (no leading zeros)";
  if (path === "lan.dhcp_start" || path === "lan.dhcp_end") return "expected an IPv4 address, e.g. 172.20.30.10 (no leading zeros)";
  if (path === "lan.domain" || /^lan\.gateway_aliases\[\d+\]$/.test(path))
    return "expected a DNS name: dot-separated labels of 1-63 letters, digits and inner hyphens, at most 253 characters";
  if (path === "lan.hostname_pattern") return "expected a host name pattern of letters, digits, dots and hyphens containing {mac}";
  if (path === "os_upgrade.server_url") return "expected an http:// or https:// URL";
  if (/^health\.required\[\d+\]$/.test(path)) return "expected a container name (letters, digits, _ and -)";
  return `does not match pattern ${pattern}`;
}

function keywordMessage(e: ErrorObject, path: string): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case "type":
      return `expected ${Array.isArray(p.type) ? (p.type as string[]).join(" or ") : String(p.type === "object" ? "a table" : p.type)}`;
    case "required":
      return "missing required key";
    case "additionalProperties":
      return "unknown key";
    case "minItems":
      return p.limit === 1 ? "must not be empty" : `expected at least ${String(p.limit)} items`;
    case "minProperties":
      return path === "container" ? "at least one [container.NAME] table is required" : `expected at least ${String(p.limit)} entries`;
    case "minLength":
      return p.limit === 1 ? "must not be empty" : `expected at least ${String(p.limit)} characters`;
    case "maxLength":
      return `expected at most ${String(p.limit)} characters`;
    case "minimum":
    case "maximum":
      return `must be ${String(p.comparison)} ${String(p.limit)}`;
    case "pattern":
      return patternMessage(path, String(p.pattern));
    case "const":
      return `expected ${JSON.stringify(p.allowedValue)}`;
    case "enum":
      return `expected one of ${JSON.stringify(p.allowedValues)}`;
    case "not":
      return path === "firewall.inbound"
        ? "the flat form (tcp, udp) and the scoped form (wan, lan) cannot be mixed"
        : "is not allowed here";
    case "anyOf":
      return SCALAR_OR_LIST;
    default:
      return e.message ?? "is invalid";
  }
}

export function schemaIssues(errors: readonly ErrorObject[] | null | undefined, doc: unknown): SchemaIssue[] {
  if (!errors?.length) return [];
  // Paths where an anyOf failed: every error at or below them is a branch detail.
  const anyOfPaths = errors.filter((e) => e.keyword === "anyOf").map((e) => e.instancePath);
  const underAnyOf = (e: ErrorObject) => e.keyword !== "anyOf" && anyOfPaths.some((p) => e.instancePath === p || e.instancePath.startsWith(`${p}/`));
  const grouped = new Map<string, { segments: Segment[]; messages: string[] }>();
  for (const e of errors) {
    if (underAnyOf(e)) continue;
    const segments = pointerSegments(e.instancePath, doc);
    const p = e.params as Record<string, unknown>;
    if (e.keyword === "required") segments.push(String(p.missingProperty));
    else if (e.keyword === "additionalProperties") segments.push(String(p.additionalProperty));
    else if (e.keyword === "propertyNames" || (e as { propertyName?: string }).propertyName !== undefined) {
      const name = String(p.propertyName ?? (e as { propertyName?: string }).propertyName);
      // The wrapper error repeats what its inner pattern error says; keep the inner one.
      if (e.keyword === "propertyNames" && errors.some((o) => o !== e && o.instancePath === e.instancePath && (o as { propertyName?: string }).propertyName === name)) continue;
      segments.push(name);
      const path = formatPath(segments);
      const entry = grouped.get(path) ?? { segments, messages: [] };
      const pattern = e.keyword === "pattern" ? String(p.pattern) : undefined;
      const msg = pattern ? `name ${JSON.stringify(name)} must match ${pattern}` : `name ${JSON.stringify(name)} is not allowed`;
      if (!entry.messages.includes(msg)) entry.messages.push(msg);
      grouped.set(path, entry);
      continue;
    }
    const path = formatPath(segments);
    const entry = grouped.get(path) ?? { segments, messages: [] };
    const known = knownExpectation(path);
    const msg = e.keyword === "required" ? `missing required key${known ? ` (${known})` : ""}` : (known ?? keywordMessage(e, path));
    if (!entry.messages.includes(msg)) entry.messages.push(msg);
    grouped.set(path, entry);
  }
  return [...grouped.entries()].map(([path, g]) => ({ segments: g.segments, path, message: g.messages.join("; ") }));
}
