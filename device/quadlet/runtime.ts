import { validators } from "../../generated/validators/index.js";
import type { RenderedUnit } from "./render.js";

/**
 * quadlet-runtime.json: what the renderer produced, read by quadlet-sync and
 * os-verification. Checked against the generated `quadlet-runtime` validator both
 * when written and when read, so neither side trusts a malformed file.
 */

export interface RuntimeUnit {
  name: string;
  filename: string;
  service: string;
  mode: "rootful" | "rootless";
}

export interface QuadletRuntime {
  app_user: "appsvc";
  rootless_network: "pasta";
  units: RuntimeUnit[];
}

export const APP_USER = "appsvc";

function check(doc: unknown, where: string): asserts doc is QuadletRuntime {
  const validate = validators["quadlet-runtime"];
  if (!validate(doc)) {
    const detail = (validate.errors ?? []).map((e) => `${e.instancePath || "(root)"} ${e.message ?? "invalid"}`).join("; ");
    throw new Error(`${where}: not a valid quadlet-runtime.json: ${detail}`);
  }
}

/** The document for rendered units, in their start order (renderQuadlets already sorts them). */
export function runtimeDocument(units: readonly RenderedUnit[]): QuadletRuntime {
  const doc: QuadletRuntime = {
    app_user: APP_USER,
    rootless_network: "pasta",
    units: units.map((u) => ({ name: u.name, filename: u.filename, service: u.service, mode: u.mode })),
  };
  check(doc, "rendered units");
  return doc;
}

/** Canonical file text: two-space JSON and a final newline. */
export function runtimeJson(units: readonly RenderedUnit[]): string {
  return `${JSON.stringify(runtimeDocument(units), null, 2)}\n`;
}

export function parseRuntimeJson(text: string, file: string): QuadletRuntime {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not JSON: ${(e as Error).message}`);
  }
  check(doc, file);
  return doc;
}
