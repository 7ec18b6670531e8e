// The prebuilt CLI: cli/main.ts and everything it imports (every command a part
// lists in its commands.ts) bundled by esbuild into ESM chunks, so
// `npx atomicnix` starts with plain Node and never transpiles TypeScript at run time.
//
// Bundles live in .cache/cli/<source hash>/. .cache/cli/current.json records the
// hash and, for every input file esbuild read, its size and mtime: a start-up that
// finds them unchanged runs the bundle after a few stat calls; any difference means
// the sources drifted, so the content hash is recomputed and the bundle rebuilt (or
// an earlier bundle with that hash reused). `node bin/cli-bundle.js` builds it ahead
// (scripts/setup.sh does); `--check` exits 1 when the bundle is stale.
import { createHash } from "node:crypto";
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const REPO = join(dirname(fileURLToPath(import.meta.url)), "..");
const ENTRY = "cli/main.ts";
/**
 * Files outside the import graph that still change what the bundle contains. The
 * bundled dependencies are not stamped one by one (two thirds of the inputs, a stat
 * each on every start): npm rewrites node_modules/.package-lock.json whenever it
 * installs, updates or removes a package, so that one file stands for all of them.
 */
const EXTRA_INPUTS = ["package-lock.json", "node_modules/.package-lock.json", "bin/cli-bundle.js"];
const KEEP = 3;

function cacheRoot(repo) {
  return join(repo, ".cache", "cli");
}

function writeAtomic(path, text) {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, "w");
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return undefined;
  }
}

function stamp(repo, file) {
  try {
    const st = statSync(join(repo, file));
    return { file, size: st.size, mtimeMs: st.mtimeMs };
  } catch {
    return { file, size: -1, mtimeMs: -1 };
  }
}

function contentHash(repo, files) {
  // The bundle embeds source paths, so a moved checkout is a different bundle.
  const hash = createHash("sha256").update(repo).update("\0");
  for (const f of [...files].sort()) {
    hash.update(f).update("\0");
    try {
      hash.update(readFileSync(join(repo, f)));
    } catch {
      hash.update("(missing)");
    }
    hash.update("\0");
  }
  return hash.digest("hex").slice(0, 20);
}

/** The bundle's entry when current.json still matches every input on disk, else undefined. */
export function currentBundle(repo = REPO) {
  const current = readJson(join(cacheRoot(repo), "current.json"));
  if (!current || !Array.isArray(current.inputs)) return undefined;
  const entry = join(cacheRoot(repo), current.hash, "main.mjs");
  if (!existsSync(entry)) return undefined;
  for (const s of current.inputs) {
    const now = stamp(repo, s.file);
    if (now.size !== s.size || now.mtimeMs !== s.mtimeMs) {
      // Touched but maybe not changed (a checkout, an editor's save): the content decides.
      return contentHash(repo, current.inputs.map((i) => i.file)) === current.hash ? (refreshStamps(repo, current), entry) : undefined;
    }
  }
  return entry;
}

function refreshStamps(repo, current) {
  try {
    writeAtomic(join(cacheRoot(repo), "current.json"), JSON.stringify({ ...current, inputs: current.inputs.map((i) => stamp(repo, i.file)) }));
  } catch {
    // read-only checkout: the next start hashes again
  }
}

/**
 * Our modules find data beside themselves (specs/en18031-part1.json, twin scripts)
 * through import.meta: each keeps its own source location inside the bundle.
 */
function sourceLocations(repo) {
  return {
    name: "source-locations",
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        if (args.path.includes(`${join("node_modules")}/`) || !args.path.startsWith(repo)) return undefined;
        const text = readFileSync(args.path, "utf8")
          .replaceAll("import.meta.url", JSON.stringify(pathToFileURL(args.path).href))
          .replaceAll("import.meta.dirname", JSON.stringify(dirname(args.path)))
          .replaceAll("import.meta.filename", JSON.stringify(args.path));
        return { contents: text, loader: "ts", resolveDir: dirname(args.path) };
      });
    },
  };
}

/** Builds the bundle (or reuses one with the same source hash) and makes it current. */
export async function buildBundle(repo = REPO) {
  const { build } = await import("esbuild");
  const root = cacheRoot(repo);
  const tmp = join(root, `.build-${process.pid}-${Date.now()}`);
  rmSync(tmp, { recursive: true, force: true });
  const result = await build({
    entryPoints: { main: join(repo, ENTRY) },
    bundle: true,
    splitting: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outdir: tmp,
    outExtension: { ".js": ".mjs" },
    metafile: true,
    // Bundled CommonJS dependencies (ajv) still call require().
    banner: { js: 'import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);' },
    legalComments: "none",
    logLevel: "error",
    plugins: [sourceLocations(repo)],
  });
  const sources = Object.keys(result.metafile.inputs).map((f) => relative(repo, join(process.cwd(), f)));
  const inputs = [...new Set([...sources.filter((f) => !f.startsWith(`node_modules${sep}`)), ...EXTRA_INPUTS])].filter((f) => !f.startsWith("..")).sort();
  const hash = contentHash(repo, inputs);
  const dir = join(root, hash);
  if (existsSync(join(dir, "main.mjs"))) rmSync(tmp, { recursive: true, force: true });
  else {
    try {
      renameSync(tmp, dir);
    } catch {
      // another process finished the same build first
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  writeAtomic(join(root, "current.json"), JSON.stringify({ hash, builtAt: new Date().toISOString(), inputs: inputs.map((f) => stamp(repo, f)) }));
  prune(root, hash);
  return join(dir, "main.mjs");
}

function prune(root, keep) {
  const dirs = readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith(".") && e.name !== keep)
    .map((e) => ({ name: e.name, t: statSync(join(root, e.name)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  for (const d of dirs.slice(KEEP - 1)) rmSync(join(root, d.name), { recursive: true, force: true });
}

/** The entry to import: the current bundle, rebuilt first when the sources changed. */
export async function ensureBundle(repo = REPO) {
  return currentBundle(repo) ?? (await buildBundle(repo));
}

export function bundleUrl(path) {
  return pathToFileURL(path).href;
}

// `node bin/cli-bundle.js` builds; `--check` reports staleness without building.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv.includes("--check")) {
    const entry = currentBundle();
    process.stdout.write(entry ? `CLI bundle is current: ${relative(process.cwd(), entry)}\n` : "CLI bundle is stale or missing: run node bin/cli-bundle.js\n");
    process.exitCode = entry ? 0 : 1;
  } else process.stdout.write(`${relative(process.cwd(), await buildBundle())}\n`);
}
