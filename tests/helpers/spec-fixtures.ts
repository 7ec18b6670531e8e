import { mkdirSync, mkdtempSync, writeFileSync, cpSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

export const REPO = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
export const EN18031_FILE = join(REPO, "specs", "en18031-part1.json");

export interface ReqSpec {
  name?: string;
  id?: string;
  en?: string;
  body?: string;
  scenarios?: { name?: string; id?: string; level?: string; steps?: string }[];
}

export function requirementMarkdown(prefix: string, index: number, r: ReqSpec = {}): string {
  const id = r.id ?? `${prefix}.req-${index}`;
  const scenarios = r.scenarios ?? [{}];
  const lines = [`### Requirement: ${r.name ?? `Requirement ${index}`}`, `**ID**: \`${id}\``, `**EN18031**: ${r.en ?? "none"}`, "", r.body ?? `The gateway SHALL do thing ${index}.`, ""];
  scenarios.forEach((s, j) => {
    lines.push(`#### Scenario: ${s.name ?? `Scenario ${index}.${j}`}`, `**ID**: \`${s.id ?? `${id}.case-${j}`}\``, `**Level**: ${s.level ?? "unit"}`, "");
    lines.push(s.steps ?? "- **GIVEN** a gateway\n- **WHEN** something happens\n- **THEN** the outcome holds", "");
  });
  return lines.join("\n");
}

export function specMarkdown(capability: string, prefix: string, reqs: ReqSpec[], extra = ""): string {
  return [
    `# ${capability} Specification`,
    "",
    "## Purpose",
    `The ${capability} capability exists so that tests have a realistic specification to check against.`,
    "",
    "## Requirements",
    "",
    ...reqs.map((r, i) => requirementMarkdown(prefix, i + 1, r)),
    extra,
  ].join("\n");
}

/** Writes an AtomicNix-layout spec tree (with the EN 18031 data file) into a fresh temp dir. */
export function writeSpecTree(files: Record<string, string>, root = mkdtempSync(join(tmpdir(), "atomicnix-specs-"))): string {
  cpSync(EN18031_FILE, join(root, "en18031-part1.json"));
  for (const [path, content] of Object.entries(files)) {
    const full = join(root, path);
    mkdirSync(join(full, ".."), { recursive: true });
    writeFileSync(full, content);
  }
  return root;
}

export function runCli(args: string[], cwd = REPO): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(REPO, "bin", "atomicnix.js"), ...args], { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
