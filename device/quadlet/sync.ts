import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../../lib/atomic-write.js";
import type { CommandRunner } from "./commands.js";
import { MANAGED_HEADER, unitService } from "./render.js";
import type { UnitKind } from "./rules.js";
import { APP_USER, parseRuntimeJson, type RuntimeUnit } from "./runtime.js";

/**
 * quadlet-sync: installs the units rendered under <config>/quadlet into the systemd
 * Quadlet search paths (rootful: <root>/etc/containers/systemd; rootless: appsvc's
 * ~/.config/containers/systemd), removes files it installed earlier that the current
 * configuration no longer renders (only files starting with the managed header), and
 * plans the systemd actions. Everything is relative to a root prefix so tests can run
 * it against a scratch tree; the device uses root "/".
 */

export interface SyncOptions {
  /** root prefix, "/" on the device */
  root: string;
  /** default <root>/data/config */
  configDir?: string;
}

export interface UserInfo {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

interface PlannedUnit {
  service: string;
  mode: "rootful" | "rootless";
  action: "start" | "restart";
}

export interface SyncPlan {
  user: UserInfo;
  install: { path: string; content: string; owner?: UserInfo }[];
  remove: { path: string; service: string; mode: "rootful" | "rootless" }[];
  /** run before files change: stop units whose files go away */
  stop: string[][];
  /** run after files change: linger, user manager, reloads */
  setup: string[][];
  /** in start order: builds, then volumes and networks, then containers */
  units: PlannedUnit[];
}

const UNIT_FILE = /^([A-Za-z0-9_-]+)\.(container|network|volume|build)$/;

function readUser(root: string, name = APP_USER): UserInfo {
  const file = join(root, "etc", "passwd");
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const f = line.split(":");
    if (f[0] === name && f.length >= 7) return { name, uid: Number(f[2]), gid: Number(f[3]), home: f[5]! };
  }
  throw new Error(`${file}: no user ${name}`);
}

export function searchDirs(root: string, user: UserInfo): { rootful: string; rootless: string } {
  return { rootful: join(root, "etc", "containers", "systemd"), rootless: join(root, user.home, ".config", "containers", "systemd") };
}

function managedFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => UNIT_FILE.test(f))
    .filter((f) => readFileSync(join(dir, f), "utf8").split("\n", 1)[0] === MANAGED_HEADER)
    .sort();
}

function serviceOf(filename: string): string {
  const m = UNIT_FILE.exec(filename)!;
  return unitService(m[2] as UnitKind, m[1]!);
}

function systemctl(mode: "rootful" | "rootless", user: UserInfo, ...args: string[]): string[] {
  return mode === "rootful" ? ["systemctl", ...args] : ["systemctl", "--user", "-M", `${user.name}@`, ...args];
}

export function planSync(opts: SyncOptions): SyncPlan {
  const configDir = opts.configDir ?? join(opts.root, "data", "config");
  const runtimeFile = join(configDir, "quadlet-runtime.json");
  const runtime = parseRuntimeJson(readFileSync(runtimeFile, "utf8"), runtimeFile);
  const user = readUser(opts.root, runtime.app_user);
  const dirs = searchDirs(opts.root, user);
  const plan: SyncPlan = { user, install: [], remove: [], stop: [], setup: [], units: [] };
  const wanted = new Set<string>();
  for (const u of runtime.units as RuntimeUnit[]) {
    const content = readFileSync(join(configDir, "quadlet", u.filename), "utf8");
    if (!content.startsWith(`${MANAGED_HEADER}\n`)) throw new Error(`${join(configDir, "quadlet", u.filename)}: not a rendered unit (managed header missing)`);
    const path = join(dirs[u.mode], u.filename);
    wanted.add(path);
    const current = existsSync(path) ? readFileSync(path, "utf8") : undefined;
    const changed = current !== content;
    if (changed) plan.install.push({ path, content, ...(u.mode === "rootless" ? { owner: user } : {}) });
    plan.units.push({ service: u.service, mode: u.mode, action: changed ? "restart" : "start" });
  }
  for (const mode of ["rootful", "rootless"] as const) {
    for (const f of managedFiles(dirs[mode])) {
      const path = join(dirs[mode], f);
      if (wanted.has(path)) continue;
      plan.remove.push({ path, service: serviceOf(f), mode });
      plan.stop.push(systemctl(mode, user, "stop", serviceOf(f)));
    }
  }
  plan.setup.push(["loginctl", "enable-linger", user.name]);
  plan.setup.push(["systemctl", "start", `user@${user.uid}.service`]);
  plan.setup.push(systemctl("rootful", user, "daemon-reload"));
  plan.setup.push(systemctl("rootless", user, "daemon-reload"));
  return plan;
}

/** Creates missing directories below `base`, owned by the user (its Quadlet dir must be its own). */
function mkdirOwned(base: string, rel: string[], user: UserInfo): void {
  let dir = base;
  for (const part of rel) {
    dir = join(dir, part);
    if (!existsSync(dir)) {
      mkdirSync(dir, { mode: 0o755 });
      chownSync(dir, user.uid, user.gid);
    }
  }
}

export function applyFiles(plan: SyncPlan, root: string): void {
  const dirs = searchDirs(root, plan.user);
  mkdirSync(dirs.rootful, { recursive: true });
  const home = join(root, plan.user.home);
  if (!existsSync(home)) throw new Error(`home of ${plan.user.name} (${home}) does not exist`);
  mkdirOwned(home, [".config", "containers", "systemd"], plan.user);
  // rootless_storage_path of device/etc/containers/storage.conf; the user cannot create it below root's /data
  mkdirSync(join(root, "data", "containers", "users"), { recursive: true, mode: 0o711 });
  mkdirOwned(join(root, "data", "containers", "users"), [plan.user.name], plan.user);
  for (const f of plan.install) {
    writeFileAtomic(f.path, f.content, 0o644);
    if (f.owner) chownSync(f.path, f.owner.uid, f.owner.gid);
  }
  for (const r of plan.remove) unlinkSync(r.path);
}

export interface SyncResult {
  ok: boolean;
  /** every unit (or step) that failed, by name */
  failed: string[];
  log: { argv: string[]; code: number; output: string }[];
}

/**
 * Stops removed units, changes the files, reloads, then starts or restarts each unit in
 * order. A failure never stops the run: every unit is tried and every failure named.
 */
export async function runSync(plan: SyncPlan, root: string, run: CommandRunner): Promise<SyncResult> {
  const result: SyncResult = { ok: true, failed: [], log: [] };
  const exec = async (argv: string[], name: string) => {
    const r = await run(argv);
    result.log.push({ argv, code: r.code, output: r.output });
    if (r.code !== 0) result.failed.push(name);
  };
  for (const argv of plan.stop) await exec(argv, argv[argv.length - 1]!);
  applyFiles(plan, root);
  for (const argv of plan.setup) await exec(argv, argv.join(" "));
  for (const u of plan.units) await exec(systemctl(u.mode, plan.user, u.action, u.service), u.service);
  result.ok = result.failed.length === 0;
  return result;
}
