import { readdirSync, readFileSync, unlinkSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { writeFileAtomic } from "../../lib/atomic-write.js";
import { lanOutputPaths, type LanOutputRole } from "./lan-outputs.js";
import { renderLanOutputs } from "./lan-render.js";
import { LAN_SETTINGS_FILE, loadLanSettings, type LanSettings } from "./lan-settings.js";

export interface LanApplyOptions {
  /** default /data/config/lan-settings.json */
  settingsFile?: string;
  /** prefix for every output path (tests and image builds); default "" (the real root) */
  root?: string;
  /** eth1's MAC; default: read from `macFile` */
  eth1Mac?: string;
  /** default /sys/class/net/eth1/address */
  macFile?: string;
}

export interface LanApplyResult {
  settings: LanSettings;
  /** why the fallback is in use, naming the file; absent when the file was used */
  fallbackReason?: string;
  files: Array<{ role: LanOutputRole; file: string; changed: boolean }>;
  /** units whose inputs changed, each once, in table order */
  restarts: string[];
}

function readOrNull(file: string): string | null {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return null;
  }
}

/** Temp files that an earlier, interrupted write of `file` may have left. */
function removeStaleTemps(file: string): void {
  let names: string[];
  try {
    names = readdirSync(dirname(file));
  } catch {
    return;
  }
  const prefix = `.${basename(file)}.`;
  for (const n of names) if (n.startsWith(prefix) && n.endsWith(".tmp")) unlinkSync(join(dirname(file), n));
}

/**
 * Renders the LAN runtime files and replaces only those whose content differs, each by
 * write-then-rename, so a second run with the same inputs touches nothing and asks for
 * no restart.
 */
export function applyLan(opts: LanApplyOptions = {}): LanApplyResult {
  const root = opts.root ?? "";
  const loaded = loadLanSettings(opts.settingsFile ?? LAN_SETTINGS_FILE);
  const macFile = opts.macFile ?? "/sys/class/net/eth1/address";
  let mac = opts.eth1Mac;
  if (mac === undefined) {
    try {
      mac = readFileSync(macFile, "utf8");
    } catch (e) {
      throw new Error(`cannot read eth1's MAC from ${macFile}: ${(e as Error).message}`);
    }
  }
  const paths = lanOutputPaths();
  const contents = renderLanOutputs(loaded.settings, mac, root + paths.hosts.file);
  const files: LanApplyResult["files"] = [];
  const restarts: string[] = [];
  for (const out of Object.values(paths)) {
    const file = root + out.file;
    const content = contents[out.role];
    removeStaleTemps(file);
    const changed = readOrNull(file) !== content;
    if (changed) {
      writeFileAtomic(file, content);
      if (!restarts.includes(out.restarts)) restarts.push(out.restarts);
    }
    files.push({ role: out.role, file, changed });
  }
  return { settings: loaded.settings, ...(loaded.fallback ? { fallbackReason: loaded.reason } : {}), files, restarts };
}
