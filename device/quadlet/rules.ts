import { DENIED_PODMAN_FLAGS, type Mode } from "./key-table.js";
import { rewritePublishPort } from "./publish.js";
import { splitShellWords, wordUsesFlag } from "./shell-words.js";
import { posix } from "node:path";
import { classifySource, operatorConfigPath, parseMount, pathInside, RESERVED_CONFIG_ENTRIES, volumeSource, type StorageSource } from "./storage.js";

/**
 * The code behind the Rule column of table `quadlet-keys`: value checks and rewrites,
 * forced values, defaults and required keys. Whether a key is allowed at all comes
 * from the table; a test checks that every Rule that applies to a non-denied mode has
 * an implementation here and that nothing here names a key the table lacks.
 */

export type UnitKind = "container" | "network" | "volume" | "build";

export interface Declared {
  build: ReadonlySet<string>;
  volume: ReadonlySet<string>;
  network: ReadonlySet<string>;
}

export interface RuleContext {
  /** e.g. `container "web" (rootless)`: every message starts with it */
  label: string;
  mode: Mode;
  kind: UnitKind;
  /** `Section.Key` */
  key: string;
  /** how many values the key has in this unit */
  count: number;
  declared: Declared;
  filesDir: string;
}

export type Outcome = { value: string; warning?: string } | { error: string };
type ValueRule = (value: string, ctx: RuleContext) => Outcome;

function reject(ctx: RuleContext, value: string, why: string): Outcome {
  return { error: `${ctx.label}: ${ctx.key} value ${JSON.stringify(value)} ${why}` };
}

function oneOf(allowed: readonly string[]): ValueRule {
  return (v, ctx) => (allowed.includes(v) ? { value: v } : reject(ctx, v, `must be one of ${allowed.join(", ")}`));
}

/** Where rootless units may take host files from: the bundle's files/ tree or an operator file in the config directory. */
function rootlessHostPath(path: string, ctx: RuleContext): boolean {
  return pathInside(path, ctx.filesDir) || operatorConfigPath(path, posix.dirname(ctx.filesDir));
}

const HOST_PATH_RULE = (ctx: RuleContext) => `inside ${ctx.filesDir} (\${FILES_DIR}) or an operator file under ${posix.dirname(ctx.filesDir)} (\${CONFIG_DIR}) other than ${RESERVED_CONFIG_ENTRIES.join(", ")}`;

function insideFiles(v: string, ctx: RuleContext): Outcome {
  return rootlessHostPath(v, ctx) ? { value: v } : reject(ctx, v, `must be an absolute path ${HOST_PATH_RULE(ctx)} for rootless containers`);
}

/** `X.build`/`X.image` references: rootless units may not use them, rootful ones only declared ones. */
function unitReference(v: string, ctx: RuleContext): Outcome | undefined {
  const m = /^(.+)\.(build|image)$/.exec(v);
  if (!m) return undefined;
  if (ctx.mode === "rootless") return reject(ctx, v, `references a .${m[2]} unit, which rootless containers cannot use (those units run in the system manager)`);
  if (m[2] === "build" && ctx.declared.build.has(m[1]!)) return undefined;
  return reject(ctx, v, `names ${v}, but no [${m[2]}.${m[1]}] is declared`);
}

/** A Volume/Mount source seen from the rootless boundary or, for rootful units, as a reference. */
function checkSource(src: StorageSource, v: string, ctx: RuleContext): Outcome | undefined {
  if (ctx.mode === "rootless") {
    switch (src.kind) {
      case "none":
      case "named":
        return undefined;
      case "host-path":
        return rootlessHostPath(src.path, ctx) ? undefined : reject(ctx, v, `binds host path ${src.path}; rootless binds must be ${HOST_PATH_RULE(ctx)}`);
      case "volume-unit":
        return reject(ctx, v, `references ${src.unit}, a system volume unit rootless containers cannot use`);
      case "invalid":
        return reject(ctx, v, `has source ${JSON.stringify(src.text)}, which is neither a path inside ${ctx.filesDir} nor a volume name`);
    }
  }
  if (src.kind === "volume-unit" && !ctx.declared.volume.has(src.unit.slice(0, -".volume".length))) {
    return reject(ctx, v, `names ${src.unit}, but no [volume.${src.unit.slice(0, -".volume".length)}] is declared`);
  }
  return undefined;
}

const VALUE_RULES: Readonly<Record<string, ValueRule>> = {
  "Container.AutoUpdate": oneOf(["registry", "local"]),
  "Container.EnvironmentFile": (v, ctx) => (ctx.mode === "rootless" ? insideFiles(v, ctx) : { value: v }),
  "Container.HealthLogDestination": (v, ctx) =>
    ctx.mode === "rootful" || v === "local" || v === "events_logger" ? { value: v } : insideFiles(v, ctx),
  "Container.Image": (v, ctx) => {
    if (ctx.count !== 1) return reject(ctx, v, `is one of ${ctx.count} values; Image takes exactly one`);
    if (v === "") return reject(ctx, v, "is empty; Image needs an image reference");
    return unitReference(v, ctx) ?? { value: v };
  },
  "Container.Mount": (v, ctx) => {
    const mount = parseMount(v);
    if (ctx.mode === "rootless") {
      if (v.includes('"')) return reject(ctx, v, "uses quotes, which rootless Mount values may not (the checked fields must be plain)");
      if (mount.type === "bind") {
        if (mount.sources.length !== 1) return reject(ctx, v, "needs exactly one src for a bind mount");
        if (!rootlessHostPath(mount.sources[0]!, ctx)) return reject(ctx, v, `binds host path ${mount.sources[0]}; rootless binds must be ${HOST_PATH_RULE(ctx)}`);
        return { value: v };
      }
      if (mount.type === "tmpfs") return mount.sources.length ? reject(ctx, v, "gives a source to a tmpfs mount") : { value: v };
      if (mount.type !== "volume") return reject(ctx, v, "must be type=bind, type=volume or type=tmpfs for rootless containers");
    }
    for (const s of mount.sources) {
      const problem = checkSource(classifySource(s), v, ctx);
      if (problem) return problem;
    }
    return { value: v };
  },
  "Container.PodmanArgs": (v, ctx) => {
    if (ctx.mode === "rootful") return { value: v };
    const split = splitShellWords(v);
    if (!split.ok) return reject(ctx, v, `cannot be checked: it ${split.error}`);
    for (const word of split.words) {
      for (const d of DENIED_PODMAN_FLAGS) {
        if (wordUsesFlag(word, d.flag)) return reject(ctx, v, `uses ${d.flag}, denied for rootless containers (${d.reason})`);
      }
    }
    return { value: v };
  },
  "Container.PublishPort": (v, ctx) => {
    const r = rewritePublishPort(v);
    if (!r.ok) return reject(ctx, v, `is malformed: ${r.error}`);
    if (r.replaced) return { value: r.value, warning: `${ctx.label}: PublishPort ${JSON.stringify(v)} binds host address ${r.replaced}; rewritten to ${r.value} (rootless ports stay on loopback)` };
    return { value: r.value };
  },
  "Container.Sysctl": (v, ctx) => {
    if (ctx.mode === "rootless") return { value: v };
    const net = v.split(/\s+/).find((w) => w.startsWith("net."));
    return net ? reject(ctx, v, `sets ${net.split("=")[0]}, a host network sysctl (rootful containers share the host network)`) : { value: v };
  },
  "Container.UserNS": (v, ctx) =>
    ctx.mode === "rootless" && (v === "host" || v.startsWith("host:")) ? reject(ctx, v, "shares the host user namespace, denied for rootless containers") : { value: v },
  "Container.Volume": (v, ctx) => checkSource(volumeSource(v), v, ctx) ?? { value: v },
  "Network.Driver": oneOf(["bridge"]),
  "Volume.Device": oneOf(["tmpfs"]),
  "Volume.Driver": oneOf(["local", "image"]),
  "Volume.Image": (v, ctx) => unitReference(v, ctx) ?? { value: v },
  "Build.Network": (v, ctx) => {
    if (v === "host" || v === "none") return { value: v };
    const m = /^(.+)\.network$/.exec(v);
    if (m && ctx.declared.network.has(m[1]!)) return { value: v };
    return reject(ctx, v, m ? `names ${v}, but no [network.${m[1]}] is declared` : "must be host, none or a declared X.network");
  },
  "Build.Volume": (v, ctx) => checkSource(volumeSource(v), v, ctx) ?? { value: v },
  "Service.Restart": oneOf(["no", "on-success", "on-failure", "on-abnormal", "on-watchdog", "on-abort", "always"]),
  "Install.WantedBy": (v, ctx) =>
    ctx.mode === "rootless" ? { value: v.split(" ").map((w) => (w === "multi-user.target" ? "default.target" : w)).join(" ") } : { value: v },
};

export function applyValueRule(value: string, ctx: RuleContext): Outcome {
  const rule = VALUE_RULES[ctx.key];
  return rule ? rule(value, ctx) : { value };
}

/** Values the renderer writes itself when a key's status is `forced`. */
export const FORCED_VALUES: Readonly<Record<string, (mode: Mode) => string>> = {
  "Container.Network": (mode) => (mode === "rootless" ? "pasta" : "host"),
  "Network.Internal": () => "true",
};

/** Keys added when missing, per unit kind. */
export const DEFAULT_VALUES: Readonly<Partial<Record<UnitKind, Readonly<Record<string, (mode: Mode) => string>>>>> = {
  container: { "Install.WantedBy": (mode) => (mode === "rootless" ? "default.target" : "multi-user.target") },
};

/** Keys a unit kind must carry: all of `all`, and at least one of each `anyOf` group. */
export const REQUIRED_KEYS: Readonly<Record<UnitKind, { all: readonly string[]; anyOf: readonly (readonly string[])[] }>> = {
  container: { all: ["Container.Image"], anyOf: [] },
  network: { all: [], anyOf: [] },
  volume: { all: [], anyOf: [] },
  build: { all: ["Build.ImageTag"], anyOf: [["Build.File", "Build.SetWorkingDirectory"]] },
};

/**
 * Keys the Podman 5.4 generator refuses without another key in the same unit (found by
 * feeding it every allowed key on its own, see tests/device/quadlet/generator.test.ts).
 */
export const NEEDS_KEY: Readonly<Record<string, string>> = {
  "Container.Group": "Container.User",
  "Volume.Type": "Volume.Device",
  "Volume.Options": "Volume.Device",
  "Volume.Image": "Volume.Driver",
};

/** Every `Section.Key` that has code here (for the table/code consistency test). */
export const IMPLEMENTED_RULE_KEYS: ReadonlySet<string> = new Set([
  ...Object.keys(VALUE_RULES),
  ...Object.keys(FORCED_VALUES),
  ...Object.values(DEFAULT_VALUES).flatMap((d) => Object.keys(d ?? {})),
  ...Object.values(REQUIRED_KEYS).flatMap((r) => [...r.all, ...r.anyOf.flat()]),
]);
