import { unlinkSync } from "node:fs";
import { validators } from "../../generated/validators/index.js";
import { describe, downloadBundle, removeStale, type Offer } from "./download.js";
import type { CommandRunner } from "./runner.js";
import { pollUrl } from "./server-url.js";
import { compareVersions } from "./version.js";

/**
 * One `os-upgrade` run: poll, decide, download, install, reboot. Everything that can go
 * wrong on the server or network side ends the run with exit 0 and one log line naming
 * the cause (the timer simply tries again); only a failed `rauc install` of a verified
 * bundle exits non-zero, because that points at the device, not the server.
 */

type Outcome =
  | "no-update"
  | "skipped-not-newer"
  | "poll-failed"
  | "bad-response"
  | "download-failed"
  | "install-failed"
  | "installed";

export interface UpgradeOptions {
  serverUrl: string;
  deviceId: string;
  currentVersion: string;
  bundleDir: string;
  runner: CommandRunner;
  log: (line: string) => void;
  pollTimeoutMs?: number;
  idleTimeoutMs?: number;
}

export interface UpgradeResult {
  exitCode: 0 | 1;
  outcome: Outcome;
  offer?: Offer & { downgrade?: boolean };
  bundlePath?: string;
}

export async function runUpgrade(o: UpgradeOptions): Promise<UpgradeResult> {
  const url = pollUrl(o.serverUrl);
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { "X-Device-ID": o.deviceId, "X-Current-Version": o.currentVersion, Accept: "application/json" },
      signal: AbortSignal.timeout(o.pollTimeoutMs ?? 30_000),
      redirect: "follow",
    });
  } catch (e) {
    o.log(`poll of ${url} failed: ${describe(e)}; will retry on the next timer run`);
    return { exitCode: 0, outcome: "poll-failed" };
  }
  if (response.status === 204) {
    await response.body?.cancel();
    o.log(`no update: ${url} answered 204 for version ${o.currentVersion}`);
    dropLeftovers(o);
    return { exitCode: 0, outcome: "no-update" };
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    o.log(`poll of ${url} failed: HTTP ${response.status}; will retry on the next timer run`);
    return { exitCode: 0, outcome: "poll-failed" };
  }
  let body: unknown;
  let text = "";
  try {
    text = await response.text();
    body = JSON.parse(text);
  } catch (e) {
    o.log(`bad response from ${url}: body is not JSON (${describe(e)}): ${JSON.stringify(text.slice(0, 80))}`);
    return { exitCode: 0, outcome: "bad-response" };
  }
  const validate = validators["update-response"];
  if (!validate(body)) {
    const err = validate.errors?.[0];
    o.log(`bad response from ${url}: violates update-response at ${err?.instancePath || "(root)"}: ${err?.message ?? "invalid"}`);
    return { exitCode: 0, outcome: "bad-response" };
  }
  const offer = body as Offer & { downgrade?: boolean };

  // upgrade.no-downgrade: strictly newer, or an explicit downgrade to a different version.
  const order = compareVersions(offer.version, o.currentVersion);
  const explicit = offer.downgrade === true && offer.version !== o.currentVersion && order !== 0;
  if (order <= 0 && !explicit) {
    o.log(`skipped offer ${offer.version}: not newer than running ${o.currentVersion}${offer.downgrade ? " (downgrade flag set but versions are equal)" : " and not marked as downgrade"}`);
    dropLeftovers(o);
    return { exitCode: 0, outcome: "skipped-not-newer", offer };
  }
  o.log(`${order > 0 ? "update" : "explicit downgrade"} ${o.currentVersion} -> ${offer.version} from ${offer.bundle_url}`);

  const dl = await downloadBundle(offer, { dir: o.bundleDir, log: o.log, ...(o.idleTimeoutMs ? { idleTimeoutMs: o.idleTimeoutMs } : {}) });
  if (!dl.ok) {
    o.log(dl.cause);
    return { exitCode: 0, outcome: "download-failed", offer };
  }
  o.log(`downloaded ${dl.path} (${dl.bytes} bytes${dl.resumedFrom ? `, resumed at ${dl.resumedFrom}` : ""}${offer.sha256 ? ", sha256 verified" : ""})`);

  const install = await o.runner.run("rauc", ["install", dl.path]);
  try {
    unlinkSync(dl.path);
  } catch {
    /* rauc may not have needed it any more; nothing to keep either way */
  }
  if (install.code !== 0) {
    o.log(`rauc install ${dl.path} failed with exit code ${install.code}: ${lastLine(install.stderr || install.stdout)}; bundle removed, no reboot`);
    return { exitCode: 1, outcome: "install-failed", offer, bundlePath: dl.path };
  }
  o.log(`rauc install of ${offer.version} succeeded; rebooting`);
  const reboot = await o.runner.run("reboot", []);
  if (reboot.code !== 0) o.log(`reboot exited ${reboot.code}: ${lastLine(reboot.stderr || reboot.stdout)}`);
  return { exitCode: 0, outcome: "installed", offer, bundlePath: dl.path };
}

/** Nothing is on offer, so a `.part` from an earlier interrupted run can never be resumed: delete it. */
function dropLeftovers(o: UpgradeOptions): void {
  for (const name of removeStale(o.bundleDir, "")) o.log(`removed leftover ${o.bundleDir}/${name}: no update is on offer`);
}

function lastLine(text: string): string {
  const lines = text.trim().split("\n").filter(Boolean);
  return lines[lines.length - 1] ?? "(no output)";
}
