import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { scenario } from "../../../conformance/binding.js";

const UNIT = join(import.meta.dirname, "..", "..", "..", "device", "units", "first-boot.service");

/** Parses a systemd unit file into section -> key -> values. */
function parseUnit(text: string): Record<string, Record<string, string[]>> {
  const out: Record<string, Record<string, string[]>> = {};
  let section = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) {
      section = s[1]!;
      out[section] ??= {};
      continue;
    }
    const eq = line.indexOf("=");
    const k = line.slice(0, eq);
    (out[section]![k] ??= []).push(line.slice(eq + 1));
  }
  return out;
}

scenario("prov.first-boot.unit", { targets: ["host"] }, ({ context }) => {
  const u = parseUnit(readFileSync(UNIT, "utf8"));
  expect(u.Service?.Type).toEqual(["oneshot"]);
  expect(u.Unit?.ConditionPathExists).toEqual(["!/data/.completed_first_boot"]);
  expect(u.Unit?.RequiresMountsFor).toEqual(["/data"]);
  expect(u.Service?.TimeoutStartSec).toEqual(["infinity"]);
  expect(u.Unit?.DefaultDependencies).toEqual(["no"]);
  expect(u.Install?.WantedBy).toEqual(["multi-user.target"]);
  // Nothing orders multi-user.target after this unit, so the target never waits for it.
  expect(u.Unit?.Before ?? []).not.toContain("multi-user.target");
  const verify = spawnSync("systemd-analyze", ["verify", UNIT], { encoding: "utf8" });
  if (verify.error) return context.skip(`systemd-analyze not available: ${verify.error.message}`);
  expect(verify.stderr.trim()).toBe("");
  expect(verify.status).toBe(0);
});
