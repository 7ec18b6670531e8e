# Installs the repository's plain systemd unit files (device/units/).
#
# NixOS links unit text into /etc/systemd/system but ignores `[Install]`, so the
# WantedBy=/RequiredBy=/UpheldBy= targets are read back from the file itself:
# the unit file stays the one source for both its body and where it is enabled,
# exactly as the twin's `systemctl enable` sees it.
{ lib }:
let
  # "[Install]" lines of a unit file, as a list of { key, value } records.
  sectionEntries =
    section: text:
    let
      lines = map lib.trim (lib.splitString "\n" text);
      step =
        acc: line:
        if lib.hasPrefix "[" line then
          acc // { current = line; }
        else if acc.current == "[${section}]" && line != "" && !(lib.hasPrefix "#" line) && lib.hasInfix "=" line then
          let
            parts = lib.splitString "=" line;
          in
          acc
          // {
            entries = acc.entries ++ [
              {
                key = lib.trim (builtins.head parts);
                value = lib.trim (lib.concatStringsSep "=" (builtins.tail parts));
              }
            ];
          }
        else
          acc;
    in
    (builtins.foldl' step {
      current = "";
      entries = [ ];
    } lines).entries;

  # All words of every `key=` line in [Install] (WantedBy=a.target b.target).
  installTargets =
    key: text:
    lib.concatMap (e: lib.filter (w: w != "") (lib.splitString " " e.value)) (
      lib.filter (e: e.key == key) (sectionEntries "Install" text)
    );

  # A unit source is a file path, or the record `replaceLine` returns for one.
  textOf = src: if builtins.isAttrs src then src.text else builtins.readFile src;
  fileOf = src: if builtins.isAttrs src then src.file else src;

  # Builtins only (no lib), so tests/nix can run this very function with the
  # plain `nix-instantiate` of the development host.
  linesOf = text: builtins.filter builtins.isString (builtins.split "\n" text);
  startsWith =
    prefix: s: builtins.substring 0 (builtins.stringLength prefix) s == prefix;
in
rec {
  inherit sectionEntries installTargets;

  # The unit text with the one line starting with `prefix` replaced by `line`: how
  # a module option reaches a unit whose body stays the file. NixOS keeps a single
  # `text` per unit (a `systemd.services.<name>` drop-in next to it is a second,
  # conflicting definition), so the value goes into the text itself. Evaluation
  # fails when the line is missing or repeated: an edited unit file cannot
  # silently drop the option.
  replaceLine =
    src: prefix: line:
    let
      lines = linesOf (textOf src);
      hits = builtins.length (builtins.filter (startsWith prefix) lines);
      where = baseNameOf (toString (fileOf src));
    in
    if builtins.length (linesOf line) != 1 then
      throw "nix/unit-files.nix: the ${where} line replacing `${prefix}` must be a single line"
    else if hits != 1 then
      throw "nix/unit-files.nix: ${where} has ${toString hits} lines starting with `${prefix}`, expected exactly one"
    else
      {
        file = fileOf src;
        text = builtins.concatStringsSep "\n" (map (l: if startsWith prefix l then line else l) lines);
      };

  # One `systemd.units.<name>` entry for a unit file path (or a replaceLine record).
  unitFor =
    src:
    let
      text = textOf src;
    in
    {
      name = baseNameOf (toString (fileOf src));
      value = {
        inherit text;
        wantedBy = installTargets "WantedBy" text;
        requiredBy = installTargets "RequiredBy" text;
        upheldBy = installTargets "UpheldBy" text;
      };
    };

  # `systemd.units = install [ ../device/units/a.service (replaceLine ../device/units/a.timer "OnUnitActiveSec=" "OnUnitActiveSec=6h") ];`
  install = files: builtins.listToAttrs (map unitFor files);
}
