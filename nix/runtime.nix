# The gateway runtime: the TypeScript in device/ bundled by device/build.ts
# (esbuild) into one ESM file per area, exactly the dist/device/<area>.mjs the twin
# installs. Units call it as `/usr/bin/env node /usr/lib/atomicnix/device/<area>.mjs`;
# base.nix links /usr/lib/atomicnix to this package.
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
  pname = "atomicnix-runtime";
  version = (lib.importJSON ../package.json).version;

  src = lib.fileset.toSource {
    inherit root;
    fileset = lib.fileset.unions [
      ../package.json
      ../package-lock.json
      ../tsconfig.json
      ../device
      ../generated
      ../compiler
    ];
  };

  nodejs = nodejs_22;

  # importNpmLock: fetched from the lock's own URLs and integrity, no hash to keep.
  inherit (npmDeps) npmDeps npmConfigHook;

  # `npm run build:device` = `tsx device/build.ts`: every device/<area>/main.ts
  # becomes dist/device/<area>.mjs, self-contained (no node_modules at run time).
  npmBuildScript = "build:device";

  nativeBuildInputs = [ makeWrapper ];
  dontNpmInstall = true;

  installPhase = ''
    runHook preInstall
    mkdir -p $out/lib/atomicnix/device $out/bin
    shopt -s nullglob
    bundles=(dist/device/*.mjs)
    if [ ''${#bundles[@]} -eq 0 ]; then
      echo "device/build.ts produced no dist/device/*.mjs" >&2
      exit 1
    fi
    for f in "''${bundles[@]}"; do
      area=$(basename "$f" .mjs)
      install -m 0444 "$f" "$out/lib/atomicnix/device/$area.mjs"
      makeWrapper ${nodejs_22}/bin/node "$out/bin/atomicnix-$area" \
        --add-flags "$out/lib/atomicnix/device/$area.mjs"
    done
    # Shell helpers the units call (the same files the twin installs).
    mkdir -p $out/lib/atomicnix/scripts
    install -m 0555 device/scripts/*.sh $out/lib/atomicnix/scripts/
    runHook postInstall
  '';

  passthru.nodejs = nodejs_22;

  meta = {
    description = "AtomicNix gateway runtime (provisioning, Quadlet, health, update, console)";
    platforms = lib.platforms.linux;
  };
}
