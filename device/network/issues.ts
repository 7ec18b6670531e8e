import type { ErrorObject } from "ajv";
import { fieldPath } from "../../lib/json-pointer.js";

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
