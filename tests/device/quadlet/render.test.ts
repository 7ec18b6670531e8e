import { expect } from "vitest";
import { scenario } from "../../../conformance/binding.js";
import { KEY_ROWS, ruleModes, statusFor, lookupKey } from "../../../device/quadlet/key-table.js";
import { IMPLEMENTED_RULE_KEYS } from "../../../device/quadlet/rules.js";
import { runtimeDocument } from "../../../device/quadlet/runtime.js";
import { validators } from "../../../generated/validators/index.js";
import { lines, onHost, render, renderErrors, renderOk, rootful, rootless, unit } from "./helpers.js";

scenario("quadlet.modes.rootful", onHost, () => {
  const { units } = renderOk({ container: { edge: { privileged: true, Container: { Image: "ghcr.io/example/edge:1" } } } });
  const file = unit(units, "edge.container").content;
  const networkLines = lines(file).filter((l) => l.startsWith("Network="));
  expect(networkLines).toEqual(["Network=host"]);
  const section = file.slice(file.indexOf("[Container]"), file.indexOf("[Install]"));
  expect(section).toContain("\nNetwork=host\n");
  expect(runtimeDocument(units).units).toContainEqual({ name: "edge", filename: "edge.container", service: "edge.service", mode: "rootful" });
  expect(file).not.toContain("--privileged");
});

scenario("quadlet.modes.rootless", onHost, () => {
  const { units } = renderOk(rootless({ Network: "pasta" }));
  const file = unit(units, "web.container").content;
  expect(lines(file).filter((l) => l.startsWith("Network="))).toEqual(["Network=pasta"]);
  expect(runtimeDocument(units).units).toEqual([{ name: "web", filename: "web.container", service: "web.service", mode: "rootless" }]);
  const hostNet = renderOk(rootless({ Network: "host" }));
  expect(lines(unit(hostNet.units, "web.container").content).filter((l) => l.startsWith("Network="))).toEqual(["Network=pasta"]);
  expect(hostNet.warnings).toHaveLength(1);
  expect(hostNet.warnings[0]!.path).toBe("container.web.Container.Network");
  for (const word of ['"web"', "host", "pasta"]) expect(hostNet.warnings[0]!.message).toContain(word);
  // Two Network lines are never written, even if both equal the forced value.
  expect(lines(renderOk(rootless({ Network: ["pasta", "pasta"] })).units[0]!.content).filter((l) => l.startsWith("Network="))).toEqual(["Network=pasta"]);
});

scenario("quadlet.publish.rewrites", onHost, () => {
  const entries = ["10080:80", "8443:443/tcp", "80", "localhost:10081:81", "[::1]:10082:82", "127.0.0.2:10083:83", "10090-10091:90-91/udp"];
  const { units, warnings } = renderOk(rootless({ PublishPort: entries }));
  const published = lines(unit(units, "web.container").content).filter((l) => l.startsWith("PublishPort="));
  expect(published).toEqual([
    "PublishPort=127.0.0.1:10080:80",
    "PublishPort=127.0.0.1:8443:443/tcp",
    "PublishPort=127.0.0.1::80",
    "PublishPort=127.0.0.1:10081:81",
    "PublishPort=127.0.0.1:10082:82",
    "PublishPort=127.0.0.2:10083:83",
    "PublishPort=127.0.0.1:10090-10091:90-91/udp",
  ]);
  expect(warnings).toEqual([]);
});

scenario("quadlet.publish.warning", onHost, () => {
  const { units, warnings } = renderOk(rootless({ PublishPort: ["0.0.0.0:10080:80", "192.168.1.5:10081:81"] }));
  const published = lines(unit(units, "web.container").content).filter((l) => l.startsWith("PublishPort="));
  expect(published).toEqual(["PublishPort=127.0.0.1:10080:80", "PublishPort=127.0.0.1:10081:81"]);
  expect(warnings.map((w) => w.path)).toEqual(["container.web.Container.PublishPort[0]", "container.web.Container.PublishPort[1]"]);
  expect(warnings[0]!.message).toContain("0.0.0.0");
  expect(warnings[1]!.message).toContain("192.168.1.5");
  const bad = ["abc", "0:80", "70000:80", "10080:80/sctpx"];
  const errors = renderErrors(rootless({ PublishPort: bad }));
  expect(errors.map((e) => e.path)).toEqual(bad.map((_, i) => `container.web.Container.PublishPort[${i}]`));
  bad.forEach((b, i) => expect(errors[i]!.message).toContain(JSON.stringify(b)));
});

scenario("quadlet.placeholders.substituted", onHost, () => {
  const { units } = renderOk(
    rootless(
      { Volume: ["${FILES_DIR}/nginx:/etc/nginx:ro"], Environment: ["CFG=${CONFIG_DIR}/app", "HOME_DIR=%h"], Exec: "sh -c 'echo ${HOME}'" },
      { Unit: { Description: "uses ${FILES_DIR}" } },
    ),
  );
  const l = lines(unit(units, "web.container").content);
  expect(l).toContain("Description=uses /data/config/files");
  expect(l).toContain("Volume=/data/config/files/nginx:/etc/nginx:ro");
  expect(l).toContain("Environment=CFG=/data/config/app");
  expect(l).toContain("Environment=HOME_DIR=%h");
  expect(l).toContain("Exec=sh -c 'echo ${HOME}'");
  // The config root is a parameter: a different root moves both placeholders.
  const r = renderQuadletsAt("/srv/cfg", { Environment: "A=${CONFIG_DIR} B=${FILES_DIR}" });
  expect(r).toContain("Environment=A=/srv/cfg B=/srv/cfg/files");
});

import { renderQuadlets } from "../../../device/quadlet/render.js";
function renderQuadletsAt(configDir: string, Container: Record<string, string>): string {
  const r = renderQuadlets(rootless(Container), { configDir });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.units[0]!.content;
}

scenario("quadlet.format.golden", onHost, () => {
  const { units } = renderOk({
    container: {
      myapp: {
        privileged: false,
        Unit: { Description: "My app" },
        Container: { Image: "ghcr.io/example/myapp:latest", PublishPort: ["10080:8080", "10443:8443"], ReadOnly: true },
      },
    },
  });
  expect(unit(units, "myapp.container").content).toBe(
    [
      "# Managed by atomicnix; generated from /data/config/config.toml",
      "[Unit]",
      "Description=My app",
      "",
      "[Container]",
      "Image=ghcr.io/example/myapp:latest",
      "PublishPort=127.0.0.1:10080:8080",
      "PublishPort=127.0.0.1:10443:8443",
      "ReadOnly=true",
      "Network=pasta",
      "",
      "[Install]",
      "WantedBy=default.target",
      "",
      "",
    ].join("\n"),
  );
  const cases: [string, string][] = [["line\nbreak", "newline"], ["a\tb", "tab"], ["nul\u0000", "NUL"], ["trailing\\", "backslash"]];
  for (const [value, what] of cases) {
    const errors = renderErrors({ container: { myapp: { privileged: false, Unit: { Description: value }, Container: { Image: "x:1" } } } });
    expect(errors).toHaveLength(1);
    expect(errors[0]!.path).toBe("container.myapp.Unit.Description");
    expect(errors[0]!.message).toContain(what);
  }
  const inArray = renderErrors(rootless({ Environment: ["A=1", "B=2\n"] }));
  expect(inArray.map((e) => e.path)).toEqual(["container.web.Container.Environment[1]"]);
});

scenario("quadlet.aux-units.services", onHost, () => {
  const { units } = renderOk({
    network: { lan0: { Network: { Subnet: "10.89.0.0/24" } } },
    volume: { data: { Volume: { VolumeName: "appdata" } } },
    build: { app: { Build: { ImageTag: "localhost/app:1", SetWorkingDirectory: "${FILES_DIR}/app" } } },
  });
  const doc = runtimeDocument(units);
  expect(validators["quadlet-runtime"](doc)).toBe(true);
  expect(doc.units).toEqual([
    { name: "app", filename: "app.build", service: "app-build.service", mode: "rootful" },
    { name: "data", filename: "data.volume", service: "data-volume.service", mode: "rootful" },
    { name: "lan0", filename: "lan0.network", service: "lan0-network.service", mode: "rootful" },
  ]);
  expect(lines(unit(units, "lan0.network").content)).toContain("Internal=true");
  expect(lines(unit(units, "app.build").content)).toContain("SetWorkingDirectory=/data/config/files/app");
  const noSource = renderErrors({ build: { app: { Build: { ImageTag: "localhost/app:1" } } } });
  expect(noSource.map((e) => e.path)).toEqual(["build.app.Build"]);
  expect(noSource[0]!.message).toContain("File or SetWorkingDirectory");
  const macvlan = renderErrors({ network: { lan0: { Network: { Driver: "macvlan" } } } });
  expect(macvlan.map((e) => e.path)).toEqual(["network.lan0.Network.Driver"]);
  expect(renderErrors({ network: { lan0: { Network: { Internal: false } } } }).map((e) => e.path)).toEqual(["network.lan0.Network.Internal"]);
});

scenario("quadlet.allow-list.unknown", onHost, () => {
  const cases = [
    { input: rootless({ Foo: "bar" }), path: "container.web.Container.Foo", key: "Foo" },
    { input: rootless({}, { Service: { ExecStartPre: "/bin/sh -c id" } }), path: "container.web.Service.ExecStartPre", key: "ExecStartPre" },
    { input: rootless({}, { Service: { User: "root" } }), path: "container.web.Service.User", key: "User" },
    { input: rootless({}, { Unit: { OnFailure: "x.service" } }), path: "container.web.Unit.OnFailure", key: "OnFailure" },
  ];
  for (const c of cases) {
    const errors = renderErrors(c.input);
    expect(errors, c.path).toHaveLength(1);
    expect(errors[0]!.path).toBe(c.path);
    expect(errors[0]!.message).toContain('container "web"');
    expect(errors[0]!.message).toContain(c.key);
  }
});

scenario("quadlet.allow-list.by-mode", onHost, () => {
  const dns = renderErrors(rootful({ DNS: "9.9.9.9" }));
  const publish = renderErrors(rootful({ PublishPort: ["8080:80"] }));
  const cap = renderErrors(rootless({ AddCapability: "NET_ADMIN" }));
  for (const [errors, name, key, mode] of [[dns, "edge", "DNS", "rootful"], [publish, "edge", "PublishPort", "rootful"], [cap, "web", "AddCapability", "rootless"]] as const) {
    expect(errors).toHaveLength(1);
    expect(errors[0]!.path).toBe(`container.${name}.Container.${key}`);
    expect(errors[0]!.message).toContain(`"${name}"`);
    expect(errors[0]!.message).toContain(key);
    expect(errors[0]!.message).toContain(mode);
  }
  expect(lines(renderOk(rootless({ DNS: "9.9.9.9" })).units[0]!.content)).toContain("DNS=9.9.9.9");
  expect(lines(renderOk(rootful({ AddCapability: "NET_ADMIN" })).units[0]!.content)).toContain("AddCapability=NET_ADMIN");
  // Every row of the generated table decides acceptance: a denied key is rejected, any
  // other key gets past the allow-list (its value may still be checked by a Rule).
  for (const row of KEY_ROWS) {
    if (row.section !== "Container") continue;
    for (const mode of ["rootless", "rootful"] as const) {
      const r = render(mode === "rootless" ? rootless({ [row.key]: "x" }) : rootful({ [row.key]: "x" }));
      const allowListError = !r.ok && r.errors.some((e) => /allow-list|is denied for/.test(e.message));
      expect(allowListError, `${row.key} ${mode}`).toBe(statusFor(row, mode) === "denied");
    }
  }
});

scenario("quadlet.allow-list.rules-implemented", onHost, () => {
  const needCode = KEY_ROWS.filter((row) => ruleModes(row).some((m) => statusFor(row, m) !== "denied")).map((r) => `${r.section}.${r.key}`);
  const missing = needCode.filter((k) => !IMPLEMENTED_RULE_KEYS.has(k));
  expect(missing).toEqual([]);
  const unknown = [...IMPLEMENTED_RULE_KEYS].filter((k) => {
    const [section, key] = k.split(".") as [Parameters<typeof lookupKey>[0], string];
    return !lookupKey(section, key);
  });
  expect(unknown).toEqual([]);
  // forced/rewritten statuses in the table must have code too
  const statusKeys = KEY_ROWS.filter((r) => [r.rootless, r.rootful].some((s) => s === "forced" || s === "rewritten")).map((r) => `${r.section}.${r.key}`);
  expect(statusKeys.filter((k) => !IMPLEMENTED_RULE_KEYS.has(k))).toEqual([]);
});

scenario("quadlet.rootless-boundary.podmanargs", onHost, () => {
  const cases: [string, string][] = [
    ["--privileged", "--privileged"],
    ["--net=host", "--net"],
    ["--pid host", "--pid"],
    ["-v /:/host", "-v"],
    ["-itv/etc:/x", "-v"],
    ["--cap-add=SYS_ADMIN", "--cap-add"],
    ["--security-opt seccomp=unconfined", "--security-opt"],
    ["--userns=host", "--userns"],
  ];
  for (const [value, flag] of cases) {
    const errors = renderErrors(rootless({ PodmanArgs: value }));
    expect(errors, value).toHaveLength(1);
    expect(errors[0]!.path).toBe("container.web.Container.PodmanArgs");
    expect(errors[0]!.message).toContain('"web"');
    expect(errors[0]!.message).toContain(`uses ${flag},`);
  }
  expect(lines(renderOk(rootless({ PodmanArgs: "--memory 256m --init" })).units[0]!.content)).toContain("PodmanArgs=--memory 256m --init");
  // Quoting cannot hide a flag, and unbalanced quotes are refused rather than guessed.
  expect(renderErrors(rootless({ PodmanArgs: "'--privileged'" }))[0]!.message).toContain("--privileged");
  expect(renderErrors(rootless({ PodmanArgs: '--label "a=b' }))[0]!.message).toContain("unbalanced");
});

scenario("quadlet.rootless-boundary.host-paths", onHost, () => {
  const rejected: [string, string][] = [
    ["Volume", "/:/host"],
    ["Volume", "/etc:/etc:ro"],
    ["Volume", "/data:/d"],
    ["Volume", "${CONFIG_DIR}/ssh-authorized-keys:/k"],
    ["Volume", "${FILES_DIR}/../quadlet:/q"],
    ["Volume", "data.volume:/d"],
    ["Mount", "type=bind,src=/etc,dst=/e"],
  ];
  for (const [key, value] of rejected) {
    const errors = renderErrors({ ...rootless({ [key]: value }), volume: { data: { Volume: {} } } });
    expect(errors, value).toHaveLength(1);
    expect(errors[0]!.path).toBe(`container.web.Container.${key}`);
    expect(errors[0]!.message).toContain('"web"');
    expect(errors[0]!.message).toContain(key);
    // the message shows the value after placeholder substitution
    expect(errors[0]!.message).toContain(value.replace("${CONFIG_DIR}", "/data/config").replace("${FILES_DIR}", "/data/config/files"));
  }
  for (const value of ["${CONFIG_DIR}/openvpn/client.conf:/c", "${CONFIG_DIR}/.generations:/g", "${CONFIG_DIR}:/all"]) {
    expect(renderErrors(rootless({ Volume: value })).map((e) => e.path), value).toEqual(["container.web.Container.Volume"]);
  }
  const { units } = renderOk(rootless({ Volume: ["${FILES_DIR}/nginx:/etc/nginx:ro", "appdata:/var/lib/app", "/var/cache/app"], Mount: "type=tmpfs,dst=/tmp" }));
  expect(lines(units[0]!.content)).toEqual(expect.arrayContaining(["Volume=/data/config/files/nginx:/etc/nginx:ro", "Volume=appdata:/var/lib/app", "Volume=/var/cache/app", "Mount=type=tmpfs,dst=/tmp"]));
  // systemd specifiers would expand after our check: refused in rootless host paths
  expect(renderErrors(rootless({ Volume: "%h/x:/x" }))[0]!.path).toBe("container.web.Container.Volume");
});

scenario("quadlet.rootless-boundary.keys", onHost, () => {
  const cases: [string, string | boolean][] = [
    ["AddCapability", "SYS_ADMIN"],
    ["AddDevice", "/dev/mmcblk1"],
    ["SecurityLabelDisable", true],
    ["Unmask", "ALL"],
    ["UserNS", "host"],
    ["GlobalArgs", "--root=/"],
    ["SeccompProfile", "unconfined"],
  ];
  for (const [key, value] of cases) {
    const errors = renderErrors(rootless({ [key]: value }));
    expect(errors, key).toHaveLength(1);
    expect(errors[0]!.message).toContain('"web"');
    expect(errors[0]!.message).toContain(key);
    if (key === "UserNS") expect(errors[0]!.message).toContain('"host"');
    const ok = renderOk(rootful({ [key]: value }));
    expect(lines(ok.units[0]!.content)).toContain(`${key}=${String(value)}`);
  }
});

scenario("quadlet.references.checked", onHost, () => {
  const dangling = renderErrors(rootful({ Image: "app.build" }));
  expect(dangling).toHaveLength(1);
  expect(dangling[0]!.path).toBe("container.edge.Container.Image");
  expect(dangling[0]!.message).toContain("app.build");
  const declared = renderOk({ ...rootful({ Image: "app.build" }), build: { app: { Build: { ImageTag: "localhost/app:1", File: "${FILES_DIR}/app/Containerfile" } } } });
  expect(declared.units.map((u) => u.filename)).toEqual(["app.build", "edge.container"]);
  const clash = renderErrors({ container: { "lan0-network": { privileged: true, Container: { Image: "x:1" } } }, network: { lan0: { Network: {} } } });
  expect(clash).toHaveLength(1);
  expect(clash[0]!.path).toBe("container.lan0-network");
  expect(clash[0]!.message).toContain("lan0-network.service");
  const badNet = renderErrors({ build: { app: { Build: { ImageTag: "localhost/app:1", File: "/x", Network: "nope.network" } } } });
  expect(badNet.map((e) => e.path)).toEqual(["build.app.Build.Network"]);
});

scenario("quadlet.value-count.single", onHost, () => {
  const cases: [string, Record<string, unknown>][] = [
    ["Container.Exec", { Container: { Exec: ["--serve", "--port=8080"] } }],
    ["Container.Pull", { Container: { Pull: ["always", "never"] } }],
    ["Container.User", { Container: { User: [1000, 1001] } }],
    ["Service.Restart", { Service: { Restart: ["always", "no"] } }],
  ];
  for (const [keyId, extra] of cases) {
    const { Container, ...sections } = extra as { Container?: Record<string, never> };
    const errors = renderErrors(rootless(Container ?? {}, sections));
    expect(errors, keyId).toHaveLength(1);
    expect(errors[0]!.path).toBe(`container.web.${keyId}`);
    expect(errors[0]!.message).toContain(keyId);
    expect(errors[0]!.message).toMatch(/only the last/);
    expect(lookupKey(keyId.split(".")[0] as "Container", keyId.split(".")[1]!)!.values).toBe("one");
  }
  const { units } = renderOk(rootless({ Exec: ["--serve --port=8080"] }));
  expect(lines(unit(units, "web.container").content).filter((l) => l.startsWith("Exec="))).toEqual(["Exec=--serve --port=8080"]);
});

scenario("quadlet.seed-forms.network", onHost, () => {
  const { units, warnings } = renderOk({
    container: {
      web: { privileged: false, Container: { Image: "ghcr.io/example/web:1", Network: "slirp4netns" } },
      edge: { privileged: true, Container: { Image: "ghcr.io/example/edge:1", Network: ["bridge", "host"] } },
    },
  });
  expect(lines(unit(units, "web.container").content).filter((l) => l.startsWith("Network="))).toEqual(["Network=pasta"]);
  expect(lines(unit(units, "edge.container").content).filter((l) => l.startsWith("Network="))).toEqual(["Network=host"]);
  expect(warnings.map((w) => w.path).sort()).toEqual(["container.edge.Container.Network", "container.web.Container.Network"]);
  const web = warnings.find((w) => w.path.startsWith("container.web"))!.message;
  for (const word of ['"web"', "slirp4netns", "pasta"]) expect(web).toContain(word);
  const edge = warnings.find((w) => w.path.startsWith("container.edge"))!.message;
  for (const word of ['"edge"', "bridge", "host"]) expect(edge).toContain(word);
});
