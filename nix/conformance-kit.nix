# The repository's conformance kit (spec catalogue, scenario bindings, tests,
# evidence reporter) with its npm dependencies, so Nix checks run the SAME tests
# CI runs on the twin. Checks copy share/atomicnix to a writable directory first:
# vitest and the evidence reporter write next to the checkout.
{
  lib,
  buildNpmPackage,
  callPackage,
  nodejs_22,
  makeWrapper,
}:
let
  root = ../.;
  npmDeps = callPackage ./npm-deps.nix { };
in
buildNpmPackage {
  pname = "atomicnix-conformance-kit";
  version = (lib.importJSON ../package.json).version;
  src = lib.fileset.toSource {
    inherit root;
    fileset = lib.fileset.unions [
      ../package.json
      ../package-lock.json
      ../tsconfig.json
      ../vitest.config.ts
      ../bin
      ../compiler
      ../conformance
      ../device
      ../generated
      ../specs
      ../tests
      ../nix/scripts
      ../nix/checks
      ../certs/gen-dev-certs.sh
    ];
  };
  nodejs = nodejs_22;
  # importNpmLock: fetched from the lock's own URLs and integrity, no hash to keep.
  inherit (npmDeps) npmDeps npmConfigHook;
  dontNpmBuild = true;
  dontNpmPrune = true;
  nativeBuildInputs = [ makeWrapper ];
  installPhase = ''
    runHook preInstall
    mkdir -p $out/share $out/bin
    cp -a . $out/share/atomicnix
    makeWrapper ${lib.getExe' nodejs_22 "node"} $out/bin/atomicnix \
      --add-flags $out/share/atomicnix/bin/atomicnix.js
    runHook postInstall
  '';
  passthru.nodejs = nodejs_22;
}
