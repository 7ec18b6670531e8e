import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect } from "vitest";
import { scenario } from "../../../conformance/binding.js";
import { KEY_ROWS, statusFor, type Mode } from "../../../device/quadlet/key-table.js";
import type { QuadletInput, RenderedUnit, Section } from "../../../device/quadlet/render.js";
import { COMPANIONS, MANY, markerOf, sample, unitName } from "./generator-values.js";
import { onHost, renderErrors, renderOk } from "./helpers.js";

/**
 * Feeds rendered units to the real Podman 5.4 Quadlet generator (Debian trixie's
 * /usr/libexec/podman/quadlet, fetched by scripts/fetch-quadlet.sh into a cache outside
 * the repository). One unit per allowed key and mode, so a key the generator does not
 * know fails on its own line.
 */

const REPO = join(import.meta.dirname, "..", "..", "..");
const work = mkdtempSync(join(tmpdir(), "atomicnix-quadlet-gen-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function quadletBinary(): string {
  if (process.env.ATOMICNIX_QUADLET) return process.env.ATOMICNIX_QUADLET;
  try {
    return execFileSync("bash", [join(REPO, "scripts", "fetch-quadlet.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
  } catch (e) {
    throw new Error(`the Podman 5.4 quadlet generator is not available (scripts/fetch-quadlet.sh failed; run scripts/setup.sh): ${(e as { stderr?: string }).stderr ?? e}`);
  }
}

/** One unit per allowed (key, mode); a fixed lan0 network, data volume and app build for references. */
function coverageInput(): { input: QuadletInput; covered: string[] } {
  const input: Required<QuadletInput> = {
    container: {},
    network: { lan0: { Network: { Subnet: "10.89.0.0/24" } } },
    volume: { data: { Volume: { VolumeName: "appdata" } } },
    build: { app: { Build: { ImageTag: "localhost/app:1", SetWorkingDirectory: "${FILES_DIR}/app" } } },
  };
  const covered: string[] = [];
  for (const row of KEY_ROWS) {
    const id = `${row.section}.${row.key}`;
    for (const mode of ["rootless", "rootful"] as const) {
      if (statusFor(row, mode) === "denied") continue;
      covered.push(`${id}/${mode}`);
      const value = sample(id, mode);
      const name = unitName(id, mode);
      switch (row.section) {
        case "Unit":
        case "Service":
        case "Install":
        case "Container": {
          const entry = { privileged: mode === "rootful", Container: { Image: "ghcr.io/example/app:1" } as Section } as { privileged: boolean; Container: Section; Unit?: Section; Service?: Section; Install?: Section };
          if (row.section === "Container") entry.Container = row.key === "Image" ? { Image: mode === "rootful" ? "app.build" : (value as string) } : { ...entry.Container, ...COMPANIONS[id], [row.key]: value };
          else entry[row.section] = { [row.key]: value };
          input.container[name] = entry;
          break;
        }
        case "Network":
          input.network[name] = { Network: { ...COMPANIONS[id], [row.key]: value } };
          break;
        case "Volume":
          input.volume[name] = { Volume: { ...COMPANIONS[id], [row.key]: value } };
          break;
        case "Build":
          input.build[name] = { Build: { ImageTag: "localhost/sample:1", SetWorkingDirectory: "${FILES_DIR}/app", ...COMPANIONS[id], [row.key]: value } };
          break;
      }
    }
  }
  return { input, covered };
}

function runQuadlet(bin: string, dir: string, user: boolean) {
  const args = user ? ["-user", "-dryrun", "-no-kmsg-log"] : ["-dryrun", "-no-kmsg-log"];
  const r = spawnSync(bin, args, { env: { ...process.env, QUADLET_UNIT_DIRS: dir }, encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The generated services from -dryrun output: `---name.service---` then the unit text. */
function generatedServices(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  const parts = stdout.split(/^---(.+?)---$/m);
  for (let i = 1; i + 1 < parts.length; i += 2) out.set(parts[i]!, parts[i + 1]!);
  return out;
}

function writeUnits(dir: string, units: RenderedUnit[]): void {
  mkdirSync(dir, { recursive: true });
  for (const u of units) writeFileSync(join(dir, u.filename), u.content);
}

scenario("quadlet.generator.all-keys", { ...onHost, timeout: 120_000 }, () => {
  const bin = quadletBinary();
  expect(execFileSync(bin, ["-version"], { encoding: "utf8" }).trim()).toMatch(/^5\.4\./);
  const { input, covered } = coverageInput();
  const { units } = renderOk(input);
  const rootfulDir = join(work, "rootful");
  const rootlessDir = join(work, "rootless");
  writeUnits(rootfulDir, units.filter((u) => u.mode === "rootful"));
  writeUnits(rootlessDir, units.filter((u) => u.mode === "rootless"));

  for (const [dir, user, mode] of [[rootfulDir, false, "rootful"], [rootlessDir, true, "rootless"]] as const) {
    const r = runQuadlet(bin, dir, user);
    const errorLines = r.stderr.split("\n").filter((l) => /error|unsupported|converting|invalid/i.test(l));
    expect(errorLines, `${mode} generator stderr`).toEqual([]);
    expect(r.status, `${mode} generator exit status`).toBe(0);
    const services = generatedServices(r.stdout);
    for (const u of units.filter((x) => x.mode === mode)) {
      const service = services.get(u.service);
      expect(service, `${u.filename} produced ${u.service}`).toBeDefined();
      if (u.filename.endsWith(".container")) {
        const execStart = service!.split("\n").find((l) => l.startsWith("ExecStart="));
        expect(execStart, u.filename).toContain(mode === "rootless" ? "--network pasta" : "--network host");
      }
    }
    expect(services.size).toBe(units.filter((x) => x.mode === mode).length);
  }
  // Every non-denied key of the table, in every mode that allows it, went through the generator.
  const expected = KEY_ROWS.flatMap((r) => (["rootless", "rootful"] as const).filter((m) => statusFor(r, m) !== "denied").map((m) => `${r.section}.${r.key}/${m}`));
  expect(covered.sort()).toEqual(expected.sort());
  console.log(`quadlet generator: ${units.length} units (${covered.length} key/mode pairs) accepted by ${bin}`);
});

scenario("quadlet.allow-list.unknown", { ...onHost, timeout: 60_000 }, () => {
  // The real generator rejects a key outside the allow-list as well: the table and
  // Podman 5.4 agree that Foo is no Quadlet key.
  const bin = quadletBinary();
  expect(renderErrors({ container: { web: { privileged: false, Container: { Image: "x:1", Foo: "bar" } } } })[0]!.path).toBe("container.web.Container.Foo");
  const { units } = renderOk({ container: { web: { privileged: false, Container: { Image: "x:1" } } } });
  const dir = join(work, "unknown");
  writeUnits(dir, [{ ...units[0]!, content: units[0]!.content.replace("[Container]\n", "[Container]\nFoo=bar\n") }]);
  const r = runQuadlet(bin, dir, true);
  expect(r.status).not.toBe(0);
  expect(r.stderr).toContain("unsupported key 'Foo'");
});

scenario("quadlet.value-count.generator", { ...onHost, timeout: 120_000 }, () => {
  const bin = quadletBinary();
  const manyKeys = KEY_ROWS.filter((r) => r.values === "many").map((r) => `${r.section}.${r.key}`);
  expect(Object.keys(MANY).sort(), "every many-key of the table has two sample values").toEqual(manyKeys.sort());
  const pair = (id: string, mode: Mode) => {
    const p = MANY[id]!;
    return typeof p === "function" ? p(mode) : p;
  };
  const sectionFor = (section: string, mode: Mode): Section => {
    const s: Section = {};
    for (const r of KEY_ROWS) if (r.section === section && r.values === "many" && statusFor(r, mode) !== "denied") s[r.key] = pair(`${r.section}.${r.key}`, mode) as Section[string];
    return s;
  };
  const input: QuadletInput = {
    container: Object.fromEntries((["rootless", "rootful"] as const).map((mode) => [
      `many-${mode}`,
      { privileged: mode === "rootful", Container: { Image: "ghcr.io/example/app:1", ...sectionFor("Container", mode) }, Unit: sectionFor("Unit", mode), Install: sectionFor("Install", mode) },
    ])),
    network: { lan0: { Network: { Subnet: "10.89.0.0/24" } }, many: { Network: sectionFor("Network", "rootful") } },
    volume: { data: { Volume: { VolumeName: "appdata" } }, many: { Volume: sectionFor("Volume", "rootful") } },
    build: { many: { Build: { SetWorkingDirectory: "${FILES_DIR}/app", ...sectionFor("Build", "rootful") } } },
  };
  const { units } = renderOk(input);
  let checked = 0;
  for (const [mode, user] of [["rootful", false], ["rootless", true]] as const) {
    const dir = join(work, `many-${mode}`);
    writeUnits(dir, units.filter((u) => u.mode === mode));
    const r = runQuadlet(bin, dir, user);
    expect(r.stderr.split("\n").filter((l) => /error|unsupported|converting|invalid/i.test(l)), `${mode} generator stderr`).toEqual([]);
    expect(r.status, `${mode} generator exit status`).toBe(0);
    const services = generatedServices(r.stdout);
    for (const u of units.filter((x) => x.mode === mode && x.name.startsWith("many"))) {
      const service = services.get(u.service)!;
      expect(service, u.service).toBeDefined();
      // The generator copies the source under [X-Container] etc.; only what it generated counts.
      const generated = service.replace(/\[X-[A-Za-z]+\][^]*?\n\n/g, "");
      const execStart = generated.split("\n").filter((l) => l.startsWith("ExecStart=")).join("\n").toLowerCase();
      const kindSection = u.filename.split(".")[1]!.replace(/^./, (c) => c.toUpperCase());
      for (const section of [kindSection, "Unit", "Install"]) {
        if (u.filename.endsWith(".container") === false && section !== kindSection) continue;
        for (const [key, values] of Object.entries(sectionFor(section, mode))) {
          for (const v of values as Section[string][]) {
            if (section === kindSection) expect(execStart, `${u.filename} ${section}.${key}=${v}`).toContain(markerOf(v));
            else expect(generated, `${u.filename} ${section}.${key}=${v}`).toContain(`${key}=${String(v)}`);
            checked++;
          }
        }
      }
    }
  }
  console.log(`quadlet generator: ${checked} values of ${manyKeys.length} multi-value keys all kept by ${bin}`);
});
