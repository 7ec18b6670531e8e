import fc from "fast-check";
import { parse as parseToml, stringify as stringifyToml } from "smol-toml";
import { expect } from "vitest";
import { scenario } from "../../../conformance/binding.js";
import { parseIni } from "../../../lib/ini.js";
import { KEY_ROWS, statusFor, type Mode } from "../../../device/quadlet/key-table.js";
import { renderQuadlets, type QuadletInput, type RenderedUnit, type Section } from "../../../device/quadlet/render.js";
import { NEEDS_KEY } from "../../../device/quadlet/rules.js";
import { CONFIG_DIR, onHost } from "./helpers.js";

/**
 * Laws over generated valid configurations (fast-check). Each generated configuration
 * also carries the model the test expects, computed here independently of the renderer:
 * the INI entries each section must parse back to after the documented rewrites.
 */

const RUNS = 200;
type Entries = [string, string][];
interface Expected {
  filename: string;
  mode: Mode;
  sections: { name: string; entries: Entries }[];
}
interface Case {
  input: QuadletInput;
  expected: Expected[];
}

const subst = (s: string) => s.replaceAll("${CONFIG_DIR}", CONFIG_DIR).replaceAll("${FILES_DIR}", `${CONFIG_DIR}/files`);
const text = (v: string | number | boolean) => (typeof v === "string" ? subst(v) : String(v));

/** Keys with no Rule, allowed in `mode`: any plain value is fine for them. */
function freeKeys(section: string, mode: Mode): string[] {
  return KEY_ROWS.filter((r) => r.section === section && statusFor(r, mode) === "allowed" && r.rule === "" && !NEEDS_KEY[`${r.section}.${r.key}`]).map((r) => r.key);
}

/** Single-value keys (table column Values) get a scalar or a one-element array, never more. */
function takesMany(section: string, key: string): boolean {
  return KEY_ROWS.find((r) => r.section === section && r.key === key)?.values === "many";
}

const word = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 ._:=/,@+-]{0,18}[A-Za-z0-9]$/).filter((s) => !s.includes("  "));
const plainValue: fc.Arbitrary<string | number | boolean> = fc.oneof(
  word,
  fc.constantFrom("${FILES_DIR}/app", "CFG=${CONFIG_DIR}/x", "%h/keep", "echo ${HOME}"),
  fc.integer({ min: 0, max: 100000 }),
  fc.boolean(),
);
const keyValue: fc.Arbitrary<string | number | boolean | (string | number | boolean)[]> = fc.oneof(
  { weight: 3, arbitrary: plainValue },
  { weight: 1, arbitrary: fc.array(plainValue, { minLength: 1, maxLength: 3 }) },
);

function sectionArb(section: string, mode: Mode): fc.Arbitrary<{ section: Section; entries: Entries }> {
  const keys = freeKeys(section, mode);
  return fc.shuffledSubarray(keys, { maxLength: Math.min(5, keys.length) }).chain((keys) =>
    fc.tuple(...keys.map((k) => (takesMany(section, k) ? keyValue : fc.oneof(plainValue, plainValue.map((v) => [v]))))).map((vals) => {
      const s: Section = {};
      const entries: Entries = [];
      keys.forEach((k, i) => {
        s[k] = vals[i]!;
        for (const v of Array.isArray(vals[i]) ? (vals[i] as (string | number | boolean)[]) : [vals[i] as string | number | boolean]) entries.push([k, text(v)]);
      });
      return { section: s, entries };
    }),
  );
}

const HOSTS = [undefined, "", "localhost", "[::1]", "127.0.0.5", "0.0.0.0", "10.1.2.3", "[2001:db8::1]"] as const;
const publishArb = fc.record({
  host: fc.constantFrom(...HOSTS),
  hostPort: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
  port: fc.integer({ min: 1, max: 65535 }),
  proto: fc.constantFrom("", "/tcp", "/udp"),
}).map((p) => {
  const tail = `${p.hostPort ?? ""}:${p.port}${p.proto}`;
  const entry = p.host === undefined ? (p.hostPort === undefined ? `${p.port}${p.proto}` : tail) : `${p.host}:${tail}`;
  const host = p.host?.startsWith("127.") ? p.host : "127.0.0.1";
  return { entry, rendered: `${host}:${tail}` };
});

const nameArb = fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/);

function containerArb(mode: Mode) {
  return fc
    .record({
      unit: sectionArb("Unit", mode),
      free: sectionArb("Container", mode),
      service: sectionArb("Service", mode),
      tag: fc.stringMatching(/^[a-z0-9]{1,8}$/),
      publish: (mode === "rootless" ? fc.array(publishArb, { maxLength: 4 }) : fc.constant([])) as fc.Arbitrary<{ entry: string; rendered: string }[]>,
      volume: fc.boolean(),
      network: fc.constantFrom("first", "last", "absent"),
      wantedBy: fc.constantFrom(undefined, "multi-user.target", "default.target"),
    })
    .map((g) => {
      const Container: Section = {};
      const entries: Entries = [];
      const forced = mode === "rootless" ? "pasta" : "host";
      if (g.network === "first") {
        Container.Network = forced;
        entries.push(["Network", forced]);
      }
      Container.Image = `registry.example/app:${g.tag}`;
      entries.push(["Image", Container.Image]);
      for (const [k, v] of Object.entries(g.free.section)) Container[k] = v;
      entries.push(...g.free.entries);
      if (g.publish.length) {
        Container.PublishPort = g.publish.map((p) => p.entry);
        entries.push(...g.publish.map((p): [string, string] => ["PublishPort", p.rendered]));
      }
      if (g.volume) {
        Container.Volume = "${FILES_DIR}/data:/data:ro";
        entries.push(["Volume", `${CONFIG_DIR}/files/data:/data:ro`]);
      }
      if (g.network === "last") {
        Container.Network = forced;
        entries.push(["Network", forced]);
      }
      if (g.network === "absent") entries.push(["Network", forced]);
      const Install: Section | undefined = g.wantedBy ? { WantedBy: g.wantedBy } : undefined;
      const wanted = g.wantedBy === undefined ? (mode === "rootless" ? "default.target" : "multi-user.target") : mode === "rootless" ? "default.target" : g.wantedBy;
      const entry: { privileged: boolean; Container: Section; Unit?: Section; Service?: Section; Install?: Section } = { privileged: mode === "rootful", Container };
      if (g.unit.entries.length) entry.Unit = g.unit.section;
      if (g.service.entries.length) entry.Service = g.service.section;
      if (Install) entry.Install = Install;
      const sections = [
        { name: "Unit", entries: g.unit.entries },
        { name: "Container", entries },
        { name: "Service", entries: g.service.entries },
        { name: "Install", entries: [["WantedBy", wanted]] as Entries },
      ].filter((s) => s.entries.length);
      return { entry, sections };
    });
}

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    rootless: fc.uniqueArray(fc.tuple(nameArb, containerArb("rootless")), { maxLength: 3, selector: (t) => t[0] }),
    rootful: fc.uniqueArray(fc.tuple(nameArb, containerArb("rootful")), { maxLength: 2, selector: (t) => t[0] }),
    networks: fc.uniqueArray(fc.tuple(nameArb, fc.integer({ min: 0, max: 255 })), { maxLength: 2, selector: (t) => t[0] }),
    volumes: fc.uniqueArray(nameArb, { maxLength: 2 }),
    builds: fc.uniqueArray(nameArb, { maxLength: 2 }),
  })
  .filter((c) => c.rootless.length + c.rootful.length > 0)
  .map((c) => {
    const input: Required<QuadletInput> = { container: {}, network: {}, volume: {}, build: {} };
    const expected: Expected[] = [];
    const used = new Set<string>();
    for (const [mode, list] of [["rootless", c.rootless], ["rootful", c.rootful]] as const) {
      for (const [name, g] of list) {
        if (used.has(name)) continue;
        used.add(name);
        input.container[name] = g.entry;
        expected.push({ filename: `${name}.container`, mode, sections: g.sections });
      }
    }
    for (const [name, octet] of c.networks) {
      input.network[name] = { Network: { Subnet: `10.89.${octet}.0/24` } };
      expected.push({ filename: `${name}.network`, mode: "rootful", sections: [{ name: "Network", entries: [["Subnet", `10.89.${octet}.0/24`], ["Internal", "true"]] }] });
    }
    for (const name of c.volumes) {
      input.volume[name] = { Volume: { VolumeName: name, Copy: true } };
      expected.push({ filename: `${name}.volume`, mode: "rootful", sections: [{ name: "Volume", entries: [["VolumeName", name], ["Copy", "true"]] }] });
    }
    for (const name of c.builds) {
      input.build[name] = { Build: { ImageTag: `localhost/${name}:1`, SetWorkingDirectory: "${FILES_DIR}/" + name } };
      expected.push({ filename: `${name}.build`, mode: "rootful", sections: [{ name: "Build", entries: [["ImageTag", `localhost/${name}:1`], ["SetWorkingDirectory", `${CONFIG_DIR}/files/${name}`]] }] });
    }
    return { input, expected };
  });

function renderOk(input: QuadletInput): RenderedUnit[] {
  const r = renderQuadlets(input, { configDir: CONFIG_DIR });
  if (!r.ok) throw new Error(`valid input rejected: ${JSON.stringify(r.errors)}\n${JSON.stringify(input)}`);
  return r.units;
}

/** The inverse of rendering: a unit file read back as a QuadletInput entry. */
function inputFromUnits(units: RenderedUnit[]): QuadletInput {
  const input: Required<QuadletInput> = { container: {}, network: {}, volume: {}, build: {} };
  for (const u of units) {
    const doc = parseIni(u.content, u.filename);
    const entry: Record<string, unknown> = {};
    for (const s of doc.sections) {
      const sec: Section = {};
      for (const [k, v] of s.entries) {
        const prev = sec[k];
        sec[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
      }
      entry[s.name] = sec;
    }
    const kind = u.filename.slice(u.filename.lastIndexOf(".") + 1) as keyof QuadletInput;
    if (kind === "container") entry.privileged = u.mode === "rootful";
    (input[kind] as Record<string, unknown>)[u.name] = entry;
  }
  return input;
}

scenario("quadlet.format.round-trip", { ...onHost, timeout: 120_000 }, () => {
  fc.assert(
    fc.property(caseArb, ({ input, expected }) => {
      const first = renderOk(input);
      // Law 1, determinism: rendering again, and rendering what config.toml persists
      // (TOML text written by smol-toml and read back), gives byte-identical units.
      const second = renderOk(structuredClone(input));
      const fromToml = renderOk(parseToml(stringifyToml(input as Record<string, unknown>)) as QuadletInput);
      expect(second).toEqual(first);
      expect(fromToml).toEqual(first);
      // Law 2, parse-back: every file is INI with the managed header, sections in
      // canonical order, keys in TOML order (repeats kept), values after the rewrites.
      expect(first.map((u) => u.filename).sort()).toEqual(expected.map((e) => e.filename).sort());
      for (const e of expected) {
        const u = first.find((x) => x.filename === e.filename)!;
        expect(u.mode).toBe(e.mode);
        expect(u.content.endsWith("\n\n")).toBe(true);
        const doc = parseIni(u.content, u.filename);
        expect(doc.comments).toEqual(["# Managed by atomicnix; generated from /data/config/config.toml"]);
        expect(doc.sections).toEqual(e.sections);
      }
      // Law 3, idempotence: the rendered files are a fixed point. Reading them back into
      // a configuration and rendering that gives the same bytes, with no warnings.
      const again = renderQuadlets(inputFromUnits(first), { configDir: CONFIG_DIR });
      expect(again.ok).toBe(true);
      if (again.ok) {
        expect(again.units).toEqual(first);
        expect(again.warnings).toEqual([]);
      }
    }),
    { numRuns: RUNS },
  );
});

function networkLines(content: string): string[] {
  return content.split("\n").filter((l) => l.startsWith("Network="));
}

scenario("quadlet.modes.rootless", { ...onHost, timeout: 120_000 }, () => {
  fc.assert(
    fc.property(caseArb, ({ input }) => {
      for (const u of renderOk(input).filter((x) => x.mode === "rootless")) {
        expect(networkLines(u.content)).toEqual(["Network=pasta"]);
        for (const l of u.content.split("\n").filter((x) => x.startsWith("PublishPort="))) {
          const host = l.slice("PublishPort=".length).split(":")[0]!;
          expect(host, l).toMatch(/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/);
        }
      }
    }),
    { numRuns: RUNS },
  );
});

scenario("quadlet.modes.rootful", { ...onHost, timeout: 120_000 }, () => {
  fc.assert(
    fc.property(caseArb, ({ input }) => {
      for (const u of renderOk(input).filter((x) => x.mode === "rootful" && x.filename.endsWith(".container"))) {
        expect(networkLines(u.content)).toEqual(["Network=host"]);
        expect(u.content).not.toContain("--privileged");
      }
    }),
    { numRuns: RUNS },
  );
});
