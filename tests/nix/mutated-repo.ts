import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NixRepo } from "../../nix/checks/repo.js";

/**
 * A copy of the Nix side of the repository with one file edited, sharing device/,
 * nix/scripts/, certs/ and the catalogue by symlink (a copy of the one the edit is in), so a check can be shown to
 * notice the edit (none of them passes by construction).
 */
export function mutatedRepo(root: string, file: string, from: string | RegExp, to: string): NixRepo {
  const dir = mkdtempSync(join(tmpdir(), "nix-mutated-"));
  cpSync(join(root, "flake.nix"), join(dir, "flake.nix"));
  if (existsSync(join(root, "flake.lock"))) cpSync(join(root, "flake.lock"), join(dir, "flake.lock"));
  cpSync(join(root, "modules"), join(dir, "modules"), { recursive: true });
  mkdirSync(join(dir, "nix"));
  cpSync(join(root, "nix", "tests"), join(dir, "nix", "tests"), { recursive: true });
  for (const f of readdirSync(join(root, "nix")).filter((n) => n.endsWith(".nix"))) cpSync(join(root, "nix", f), join(dir, "nix", f));
  // Shared roots are linked, apart from the one holding the edited file, which is copied.
  for (const shared of ["nix/scripts", "device", "certs"]) {
    if (file.startsWith(`${shared}/`)) cpSync(join(root, shared), join(dir, shared), { recursive: true });
    else symlinkSync(join(root, shared), join(dir, shared));
  }
  mkdirSync(join(dir, "generated"));
  symlinkSync(join(root, "generated", "catalogue.json"), join(dir, "generated", "catalogue.json"));
  symlinkSync(join(root, "generated", "layout"), join(dir, "generated", "layout"));
  const target = join(dir, file);
  const before = readFileSync(target, "utf8");
  const after = before.replace(from, to);
  if (after === before) throw new Error(`mutation of ${file} did not apply: ${String(from)}`);
  writeFileSync(target, after);
  return new NixRepo(dir);
}
