import { expect } from "vitest";
import { renderQuadlets, type QuadletInput, type RenderedUnit, type Section } from "../../../device/quadlet/render.js";
import type { Issue } from "../../../device/quadlet/issues.js";

export const onHost = { targets: ["host"] } as const;
export const CONFIG_DIR = "/data/config";

export function render(input: QuadletInput) {
  return renderQuadlets(input, { configDir: CONFIG_DIR });
}

export function renderOk(input: QuadletInput): { units: RenderedUnit[]; warnings: Issue[] } {
  const r = render(input);
  if (!r.ok) throw new Error(`expected success, got ${JSON.stringify(r.errors, null, 2)}`);
  return r;
}

export function renderErrors(input: QuadletInput): Issue[] {
  const r = render(input);
  if (r.ok) throw new Error(`expected rejection, got units ${r.units.map((u) => u.filename).join(", ")}`);
  return r.errors;
}

export function unit(units: RenderedUnit[], filename: string): RenderedUnit {
  const u = units.find((x) => x.filename === filename);
  expect(u, `unit ${filename}`).toBeDefined();
  return u!;
}

export function lines(content: string): string[] {
  return content.split("\n");
}

export function rootless(Container: Section, extra: { Unit?: Section; Service?: Section; Install?: Section } = {}): QuadletInput {
  return { container: { web: { privileged: false, Container: { Image: "ghcr.io/example/web:1", ...Container }, ...extra } } };
}

export function rootful(Container: Section, extra: { Unit?: Section; Service?: Section; Install?: Section } = {}): QuadletInput {
  return { container: { edge: { privileged: true, Container: { Image: "ghcr.io/example/edge:1", ...Container }, ...extra } } };
}
