import type { ErrorObject } from "ajv";

/** An ajv instance path (`/wan/tcp/0`) in the dotted form the specs use (`wan.tcp[0]`). */
export function fieldPath(instancePath: string, extra?: string): string {
  const parts = instancePath.split("/").slice(1).map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (extra !== undefined) parts.push(extra);
  let out = "";
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : out ? `.${p}` : p;
  return out || "(root)";
}

/** One line per schema error: `field: message`. */
export function describeSchemaErrors(errors: readonly ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => {
    const params = e.params as Record<string, unknown>;
    if (e.keyword === "required") return `${fieldPath(e.instancePath, String(params.missingProperty))}: required field is missing`;
    if (e.keyword === "additionalProperties") return `${fieldPath(e.instancePath, String(params.additionalProperty))}: unknown field`;
    return `${fieldPath(e.instancePath)}: ${e.message ?? e.keyword}`;
  });
}

/** `file: line L column C: message` for a JSON syntax error, from V8's position hint. */
export function describeJsonError(file: string, text: string, error: Error): string {
  const m = /position (\d+)/.exec(error.message);
  const atEnd = /end of JSON input/.test(error.message);
  if (!m && !atEnd) return `${file}: invalid JSON: ${error.message}`;
  const pos = m ? Number(m[1]) : text.length;
  const before = text.slice(0, pos).split("\n");
  return `${file}: line ${before.length} column ${before[before.length - 1]!.length + 1}: invalid JSON: ${error.message}`;
}
