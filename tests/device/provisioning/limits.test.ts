import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import { scenario } from "../../../conformance/binding.js";
import { validateConfigText } from "../../../device/provisioning/config.js";
import { importConfig } from "../../../device/provisioning/import.js";
import { recover } from "../../../device/provisioning/store.js";
import { Steps } from "../../../device/provisioning/durable.js";
import { configText, leftovers, makeKeys, onHost, rawTree, scratch, stateTree } from "./helpers.js";

let dir: string;
let key: string;
beforeAll(() => {
  dir = scratch("prov-limits-");
  key = makeKeys(dir).ed25519;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
const freshRoot = () => join(dir, `state-${++n}`, "config");
const container = (name: string, extra = "") => `[container.${name}]\nprivileged = false\n[container.${name}.Container]\nImage = "ghcr.io/example/app:1"\n${extra}`;
const errorsOf = (text: string) => {
  const r = validateConfigText(text);
  return r.ok ? [] : r.errors;
};
const named = (name: string) => configText(key, { health: `[health]\nrequired = ["${name}"]`, containers: container(name) });
const ports = (count: number) => configText(key, { firewall: `[firewall.inbound]\ntcp = [${Array.from({ length: count }, (_, i) => (i % 65535) + 1).join(", ")}]` });
const containers = (count: number) =>
  configText(key, { health: '[health]\nrequired = ["c0"]', containers: Array.from({ length: count }, (_, i) => container(`c${i}`)).join("\n") });

scenario("prov.input-limits.boundaries", onHost, () => {
  expect(errorsOf(named("a".repeat(64)))).toEqual([]);
  const long = errorsOf(named("a".repeat(65)));
  expect(long.find((e) => e.path === `container.${"a".repeat(65)}`)!.message).toMatch(/64/);
  expect(errorsOf(ports(256))).toEqual([]);
  expect(errorsOf(ports(257)).map((e) => e.path)).toEqual(["firewall.inbound.tcp"]);
  expect(errorsOf(ports(257))[0]!.message).toMatch(/256/);
  expect(errorsOf(containers(64))).toEqual([]);
  const tooMany = errorsOf(containers(65));
  expect(tooMany.map((e) => e.path)).toEqual(["container"]);
  expect(tooMany[0]!.message).toMatch(/at most 64/);
  const value = (len: number) => configText(key, { containers: container("myapp", `Environment = "A=${"x".repeat(len - 2)}"`) });
  expect(errorsOf(value(8192))).toEqual([]);
  const big = errorsOf(value(8193));
  expect(big.map((e) => e.path)).toEqual(["container.myapp.Container.Environment"]);
  expect(big[0]!.message).toMatch(/8192/);

  const started = process.hrtime.bigint();
  const huge = errorsOf(ports(150_000));
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  expect(huge.map((e) => e.path)).toEqual(["firewall.inbound.tcp"]);
  console.log(`150,000-port configuration rejected in ${ms.toFixed(0)} ms`);
});

scenario("prov.input-limits.names", onHost, async () => {
  const cases = [
    { text: named("n".repeat(246)), message: /64/ },
    { text: configText(key, { health: '[health]\nrequired = ["web"]', containers: `${container("web")}\n${container("Web")}` }), message: /web.*Web|Web.*web/ },
  ];
  const root = freshRoot();
  const first = await importConfig({ bytes: Buffer.from(configText(key)), filename: "config.toml" }, root);
  expect(first.ok).toBe(true);
  for (const c of cases) {
    const errors = errorsOf(c.text);
    expect(errors.find((e) => e.path.startsWith("container"))!.message).toMatch(c.message);
    const before = rawTree(root);
    const r = await importConfig({ bytes: Buffer.from(c.text), filename: "config.toml" }, root);
    expect(r.ok).toBe(false);
    expect(rawTree(root)).toEqual(before);
  }
});

scenario("prov.input-limits.write-error", onHost, async () => {
  const root = freshRoot();
  expect((await importConfig({ bytes: Buffer.from(configText(key)), filename: "config.toml" }, root)).ok).toBe(true);
  const s1 = stateTree(root);
  const next = configText(key, { firewall: "[firewall.inbound]\ntcp = [8443]" });
  // The steps of this import, counted on the same state (the step list is the crash test's).
  const probe = new Steps("", "");
  const scratchRoot = freshRoot();
  expect((await importConfig({ bytes: Buffer.from(configText(key)), filename: "config.toml" }, scratchRoot)).ok).toBe(true);
  expect((await importConfig({ bytes: Buffer.from(next), filename: "config.toml" }, scratchRoot, { steps: probe })).ok).toBe(true);
  const s2 = stateTree(scratchRoot);
  const commitAt = probe.names.indexOf("commit: rename .current") + 1;
  expect(commitAt).toBeGreaterThan(0);
  let failures = 0;
  let committed = 0;
  for (let at = 1; at <= probe.names.length; at++) {
    const r = await importConfig({ bytes: Buffer.from(next), filename: "config.toml" }, root, { steps: new Steps("", String(at)) });
    if (at <= commitAt) {
      expect(r.ok, `step ${at} ${probe.names[at - 1]}`).toBe(false);
      if (r.ok) continue;
      expect(r.errors).toHaveLength(1);
      expect(r.errors[0]!.path).toBe("(state)");
      expect(r.errors[0]!.message).toContain("EIO");
      expect(r.errors[0]!.message).toContain(probe.names[at - 1]!.replaceAll(scratchRoot, root));
      expect(stateTree(root), `after a failure at ${probe.names[at - 1]}`).toEqual(s1);
      failures++;
    } else {
      expect(r.ok, `step ${at} ${probe.names[at - 1]}`).toBe(true);
      if (!r.ok) continue;
      expect(r.warnings.some((w) => w.path === "(state)" && /EIO at step "/.test(w.message))).toBe(true);
      expect(stateTree(root)).toEqual(s2);
      committed++;
      // Back to S1 for the next step.
      expect((await importConfig({ bytes: Buffer.from(configText(key)), filename: "config.toml" }, root)).ok).toBe(true);
    }
    recover(root);
    expect(leftovers(root)).toEqual([]);
  }
  console.log(`write errors injected at ${probe.names.length} steps: ${failures} rejected before the commit, ${committed} committed with a warning`);
});
