import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect } from "vitest";
import { scenario } from "../../../conformance/binding.js";
import { KEY_ROWS, statusFor, type Mode } from "../../../device/quadlet/key-table.js";
import type { QuadletInput, RenderedUnit, Section } from "../../../device/quadlet/render.js";
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

/** A value for every key the table allows somewhere; `mode` picks mode-specific ones. */
const SAMPLES: Record<string, Section[string] | ((mode: Mode) => Section[string])> = {
  "Unit.Description": "sample unit",
  "Unit.Documentation": "https://example.org/doc",
  "Unit.After": "network-online.target",
  "Unit.Before": "shutdown.target",
  "Unit.Wants": "network-online.target",
  "Unit.Requires": "dummy.service",
  "Unit.BindsTo": "dummy.service",
  "Unit.PartOf": "dummy.service",
  "Unit.Conflicts": "other.service",
  "Unit.StartLimitIntervalSec": 60,
  "Unit.StartLimitBurst": 5,
  "Container.AddCapability": "NET_ADMIN",
  "Container.AddDevice": "/dev/null",
  "Container.AddHost": "db.local:10.0.0.5",
  "Container.Annotation": "org.example=1",
  "Container.AutoUpdate": "registry",
  "Container.CgroupsMode": "split",
  "Container.ContainerName": "sample",
  "Container.ContainersConfModule": "/etc/containers/sample.conf",
  "Container.DNS": "9.9.9.9",
  "Container.DNSOption": "ndots:1",
  "Container.DNSSearch": "example.org",
  "Container.DropCapability": "ALL",
  "Container.Entrypoint": "/bin/sh",
  "Container.Environment": ["A=1", "CFG=${CONFIG_DIR}/app"],
  "Container.EnvironmentFile": "${FILES_DIR}/app.env",
  "Container.EnvironmentHost": true,
  "Container.Exec": "sleep infinity",
  "Container.ExposeHostPort": 8080,
  "Container.GIDMap": "0:1:1000",
  "Container.GlobalArgs": "--log-level=info",
  "Container.Group": 1000,
  "Container.GroupAdd": "keep-groups",
  "Container.HealthCmd": "/bin/true",
  "Container.HealthInterval": "30s",
  "Container.HealthLogDestination": "local",
  "Container.HealthMaxLogCount": 5,
  "Container.HealthMaxLogSize": 500,
  "Container.HealthOnFailure": "kill",
  "Container.HealthRetries": 3,
  "Container.HealthStartPeriod": "10s",
  "Container.HealthStartupCmd": "/bin/true",
  "Container.HealthStartupInterval": "5s",
  "Container.HealthStartupRetries": 3,
  "Container.HealthStartupSuccess": 1,
  "Container.HealthStartupTimeout": "5s",
  "Container.HealthTimeout": "5s",
  "Container.HostName": "app",
  "Container.Image": "ghcr.io/example/app:1",
  "Container.Label": ["a=b", "c=d"],
  "Container.LogOpt": "tag=app",
  "Container.Mask": "/proc/kcore",
  "Container.Mount": (m) => (m === "rootless" ? "type=bind,src=${FILES_DIR}/www,dst=/www,ro=true" : "type=volume,source=data.volume,destination=/d"),
  "Container.Network": (m) => (m === "rootless" ? "pasta" : "host"),
  "Container.NoNewPrivileges": true,
  "Container.Notify": true,
  "Container.PidsLimit": 100,
  "Container.PodmanArgs": "--memory 256m --init",
  "Container.PublishPort": ["10080:80", "0.0.0.0:10443:443/tcp", "[::1]:10053:53/udp"],
  "Container.Pull": "never",
  "Container.ReadOnly": true,
  "Container.ReadOnlyTmpfs": true,
  "Container.RunInit": true,
  "Container.SeccompProfile": "/etc/containers/seccomp.json",
  "Container.Secret": "token",
  "Container.SecurityLabelDisable": true,
  "Container.SecurityLabelFileType": "container_file_t",
  "Container.SecurityLabelLevel": "s0:c1,c2",
  "Container.SecurityLabelNested": true,
  "Container.SecurityLabelType": "spc_t",
  "Container.ShmSize": "64m",
  "Container.StopSignal": "SIGTERM",
  "Container.StopTimeout": 10,
  "Container.SubGIDMap": "appsvc",
  "Container.SubUIDMap": "appsvc",
  "Container.Sysctl": "kernel.msgmax=65536",
  "Container.Timezone": "UTC",
  "Container.Tmpfs": "/run/app",
  "Container.UIDMap": "0:1:1000",
  "Container.Ulimit": "nofile=1024:2048",
  "Container.Unmask": "ALL",
  "Container.User": 1000,
  "Container.UserNS": "keep-id",
  "Container.Volume": (m) => (m === "rootless" ? ["${FILES_DIR}/nginx:/etc/nginx:ro", "appdata:/var/lib/app", "/var/cache/app"] : ["data.volume:/d", "/etc/ssl:/etc/ssl:ro"]),
  "Container.WorkingDir": "/app",
  "Service.Restart": "always",
  "Service.RestartSec": 5,
  "Service.TimeoutStartSec": 300,
  "Service.TimeoutStopSec": 30,
  "Install.WantedBy": "multi-user.target",
  "Install.RequiredBy": "multi-user.target",
  "Network.ContainersConfModule": "/etc/containers/sample.conf",
  "Network.DisableDNS": true,
  "Network.DNS": "9.9.9.9",
  "Network.Driver": "bridge",
  "Network.Gateway": "10.89.1.1",
  "Network.GlobalArgs": "--log-level=info",
  "Network.Internal": true,
  "Network.IPAMDriver": "host-local",
  "Network.IPRange": "10.89.1.128/25",
  "Network.IPv6": true,
  "Network.Label": "a=b",
  "Network.NetworkName": "sample",
  "Network.Options": "isolate=true",
  "Network.PodmanArgs": "--log-level=info",
  "Network.Subnet": "10.89.2.0/24",
  "Volume.ContainersConfModule": "/etc/containers/sample.conf",
  "Volume.Copy": true,
  "Volume.Device": "tmpfs",
  "Volume.Driver": "local",
  "Volume.GlobalArgs": "--log-level=info",
  "Volume.Group": 1000,
  "Volume.Image": "docker.io/library/alpine:3",
  "Volume.Label": "a=b",
  "Volume.Options": "size=64m",
  "Volume.PodmanArgs": "--log-level=info",
  "Volume.Type": "tmpfs",
  "Volume.User": 1000,
  "Volume.VolumeName": "sample",
  "Build.Annotation": "a=b",
  "Build.Arch": "arm64",
  "Build.AuthFile": "/etc/containers/auth.json",
  "Build.ContainersConfModule": "/etc/containers/sample.conf",
  "Build.DNS": "9.9.9.9",
  "Build.DNSOption": "ndots:1",
  "Build.DNSSearch": "example.org",
  "Build.Environment": "A=1",
  "Build.File": "${FILES_DIR}/app/Containerfile",
  "Build.ForceRM": true,
  "Build.GlobalArgs": "--log-level=info",
  "Build.GroupAdd": "keep-groups",
  "Build.ImageTag": "localhost/sample:1",
  "Build.Label": "a=b",
  "Build.Network": "lan0.network",
  "Build.PodmanArgs": "--log-level=info",
  "Build.Pull": "never",
  "Build.Secret": "id=token,src=${FILES_DIR}/token",
  "Build.SetWorkingDirectory": "${FILES_DIR}/app",
  "Build.Target": "final",
  "Build.TLSVerify": true,
  "Build.Variant": "v8",
  "Build.Volume": "${FILES_DIR}/src:/src:ro",
};

/** Keys some other key needs beside it in the same unit. */
const COMPANIONS: Record<string, Section> = {
  "Network.Gateway": { Subnet: "10.89.1.0/24" },
  "Network.IPRange": { Subnet: "10.89.1.0/24" },
  "Volume.Image": { Driver: "image" },
  "Volume.Type": { Device: "tmpfs" },
  "Volume.Options": { Device: "tmpfs" },
  "Container.Group": { User: 1000 },
};

function sample(id: string, mode: Mode): Section[string] {
  const s = SAMPLES[id];
  if (s === undefined) throw new Error(`no sample value for ${id}: add one when the table gains a key`);
  return typeof s === "function" ? s(mode) : s;
}

function unitName(id: string, mode: Mode): string {
  return `k-${id.replace(".", "-").toLowerCase()}-${mode}`;
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

/**
 * Two distinct values for every key the table marks `many`; the first value of each key
 * must survive the generator (a `one` key would keep only the second line). The marker
 * is what the generated service must contain, when it differs from the value itself.
 */
const MANY: Record<string, [Section[string], Section[string]] | ((mode: Mode) => [Section[string], Section[string]])> = {
  "Unit.Documentation": ["https://example.org/one", "https://example.org/two"],
  "Unit.After": ["one.target", "two.target"],
  "Unit.Before": ["one-before.target", "two-before.target"],
  "Unit.Wants": ["one-wants.service", "two-wants.service"],
  "Unit.Requires": ["one-req.service", "two-req.service"],
  "Unit.BindsTo": ["one-bind.service", "two-bind.service"],
  "Unit.PartOf": ["one-part.service", "two-part.service"],
  "Unit.Conflicts": ["one-conf.service", "two-conf.service"],
  "Container.AddCapability": ["NET_ADMIN", "NET_RAW"],
  "Container.AddDevice": ["/dev/null", "/dev/zero"],
  "Container.AddHost": ["one.local:10.0.0.5", "two.local:10.0.0.6"],
  "Container.Annotation": ["org.example.one=1", "org.example.two=2"],
  "Container.ContainersConfModule": ["/etc/containers/one.conf", "/etc/containers/two.conf"],
  "Container.DNS": ["9.9.9.1", "9.9.9.2"],
  "Container.DNSOption": ["ndots:3", "timeout:2"],
  "Container.DNSSearch": ["one.example.org", "two.example.org"],
  "Container.DropCapability": ["MKNOD", "AUDIT_WRITE"],
  "Container.Environment": ["ONE=1", "TWO=${CONFIG_DIR}/two"],
  "Container.EnvironmentFile": ["${FILES_DIR}/one.env", "${FILES_DIR}/two.env"],
  "Container.ExposeHostPort": [7001, 7002],
  "Container.GIDMap": ["0:1:1000", "1000:2000:10"],
  "Container.GlobalArgs": ["--log-level=info", "--events-backend=file"],
  "Container.GroupAdd": ["wheel", "audio"],
  "Container.Label": ["org.label.one=1", "org.label.two=2"],
  "Container.LogOpt": ["tag=one", "max-size=10mb"],
  "Container.Mask": ["/proc/one", "/proc/two"],
  "Container.Mount": (m) => (m === "rootless" ? ["type=bind,src=${FILES_DIR}/one,dst=/one", "type=tmpfs,dst=/two"] : ["type=volume,source=data.volume,destination=/one", "type=tmpfs,dst=/two"]),
  "Container.PodmanArgs": ["--memory 256m", "--init"],
  "Container.PublishPort": ["10081:81", "10082:82/udp"],
  "Container.Secret": ["token-one", "token-two"],
  "Container.Sysctl": ["kernel.msgmax=65536", "kernel.msgmnb=65536"],
  "Container.Tmpfs": ["/run/one", "/run/two"],
  "Container.UIDMap": ["0:1:1000", "1000:3000:10"],
  "Container.Ulimit": ["nofile=1024:2048", "nproc=512"],
  "Container.Unmask": ["/proc/one-unmask", "/proc/two-unmask"],
  "Container.Volume": (m) => (m === "rootless" ? ["${FILES_DIR}/one:/one:ro", "two-named:/two"] : ["data.volume:/one", "/etc/two:/two:ro"]),
  "Install.WantedBy": ["one.target", "two.target"],
  "Install.RequiredBy": ["one-required.target", "two-required.target"],
  "Network.ContainersConfModule": ["/etc/containers/one.conf", "/etc/containers/two.conf"],
  "Network.DNS": ["9.9.9.1", "9.9.9.2"],
  "Network.Gateway": ["10.89.10.1", "10.89.11.1"],
  "Network.GlobalArgs": ["--log-level=info", "--events-backend=file"],
  "Network.IPRange": ["10.89.10.128/25", "10.89.11.128/25"],
  "Network.Label": ["org.label.one=1", "org.label.two=2"],
  "Network.Options": ["isolate=true", "mtu=1400"],
  "Network.PodmanArgs": ["--opt-one-marker=1", "--opt-two-marker=2"],
  "Network.Subnet": ["10.89.10.0/24", "10.89.11.0/24"],
  "Volume.ContainersConfModule": ["/etc/containers/one.conf", "/etc/containers/two.conf"],
  "Volume.GlobalArgs": ["--log-level=info", "--events-backend=file"],
  "Volume.Label": ["org.label.one=1", "org.label.two=2"],
  "Volume.PodmanArgs": ["--opt-one-marker=1", "--opt-two-marker=2"],
  "Build.Annotation": ["org.example.one=1", "org.example.two=2"],
  "Build.ContainersConfModule": ["/etc/containers/one.conf", "/etc/containers/two.conf"],
  "Build.DNS": ["9.9.9.1", "9.9.9.2"],
  "Build.DNSOption": ["ndots:3", "timeout:2"],
  "Build.DNSSearch": ["one.example.org", "two.example.org"],
  "Build.Environment": ["ONE=1", "TWO=2"],
  "Build.GlobalArgs": ["--log-level=info", "--events-backend=file"],
  "Build.GroupAdd": ["wheel", "audio"],
  "Build.ImageTag": ["localhost/one:1", "localhost/two:1"],
  "Build.Label": ["org.label.one=1", "org.label.two=2"],
  "Build.Network": ["host", "lan0.network"],
  "Build.PodmanArgs": ["--opt-one-marker=1", "--opt-two-marker=2"],
  "Build.Secret": ["id=one,src=${FILES_DIR}/one", "id=two,src=${FILES_DIR}/two"],
  "Build.Volume": ["${FILES_DIR}/one:/one:ro", "${FILES_DIR}/two:/two:ro"],
};
const MARKER: Record<string, string> = { "type=bind,src=/data/config/files/one,dst=/one": "type=bind,source=/data/config/files/one,dst=/one", "lan0.network": "systemd-lan0", "10081:81": "127.0.0.1:10081:81", "10082:82/udp": "127.0.0.1:10082:82/udp" };
const markerOf = (v: Section[string]) => {
  const s = String(v).replaceAll("${FILES_DIR}", "/data/config/files").replaceAll("${CONFIG_DIR}", "/data/config").replaceAll("data.volume", "appdata");
  return (MARKER[s] ?? s).toLowerCase();
};

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
