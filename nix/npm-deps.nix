# npm dependencies of the repository's package-lock.json for buildNpmPackage with
# importNpmLock: every package is a fixed-output fetch of the lock's own `resolved`
# URL and `integrity`, so there is no npmDepsHash to keep in step with the lock.
# Evaluation stops with the one-time fix when the lock lacks those fields
# (nix/npm-lock-check.nix, docs/nix.md "One-time step").
{ lib, importNpmLock }:
let
  check = import ./npm-lock-check.nix { lock = ../package-lock.json; };
  n = builtins.length check.missing;
in
if n > 0 then
  throw "package-lock.json: ${toString n} of ${toString check.total} packages have no resolved URL or integrity (first: ${builtins.head check.missing}); importNpmLock cannot fetch them. Record them once: `npm install --package-lock-only --omit-lockfile-registry-resolved=false` and commit package-lock.json (docs/nix.md, One-time step)."
else
  {
    npmDeps = importNpmLock {
      package = lib.importJSON ../package.json;
      packageLock = lib.importJSON ../package-lock.json;
    };
    inherit (importNpmLock) npmConfigHook;
  }
