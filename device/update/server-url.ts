import { readFileSync } from "node:fs";
import { validators } from "../../generated/validators/index.js";

export interface ServerUrlChoice {
  url: string;
  source: "file" | "fallback";
  /** set when the provisioned file exists but could not be used; the caller logs it */
  fileProblem?: string;
}

/**
 * `upgrade.server-url`: `server_url` from the provisioned os-upgrade.json when it is
 * valid against the `os-upgrade` schema, else the module option. An invalid file is
 * reported (never silently ignored) and the fallback used.
 */
export function chooseServerUrl(file: string, fallback: string | undefined): ServerUrlChoice | { error: string } {
  let problem: string | undefined;
  let text: string | undefined;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") problem = `${file}: unreadable (${(e as Error).message})`;
  }
  if (text !== undefined) {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      problem = `${file}: invalid, not JSON (${(e as Error).message})`;
    }
    if (!problem) {
      const validate = validators["os-upgrade"];
      if (validate(doc)) return { url: (doc as { server_url: string }).server_url, source: "file" };
      const first = validate.errors?.[0];
      problem = `${file}: invalid against schema os-upgrade at ${first?.instancePath || "(root)"}: ${first?.message ?? "invalid"}`;
    }
  }
  if (!fallback) return { error: problem ? `${problem}; and no fallback server URL is configured` : `no server URL: ${file} is missing and no fallback is configured` };
  return { url: fallback, source: "fallback", ...(problem ? { fileProblem: problem } : {}) };
}

/** `<server_url>/api/v1/updates/latest` with exactly one slash between the parts. */
export function pollUrl(serverUrl: string): string {
  return serverUrl.replace(/\/+$/, "") + "/api/v1/updates/latest";
}
