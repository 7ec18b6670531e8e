# Installs the repository's plain systemd unit files (device/units/) unchanged.
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
in
rec {
  inherit sectionEntries installTargets;

  # One `systemd.units.<name>` entry for a unit file path.
  unitFor =
    file:
    let
      text = builtins.readFile file;
    in
    {
      name = baseNameOf (toString file);
      value = {
        inherit text;
        wantedBy = installTargets "WantedBy" text;
        requiredBy = installTargets "RequiredBy" text;
        upheldBy = installTargets "UpheldBy" text;
      };
    };

  # `systemd.units = install [ ../device/units/a.service ../device/units/a.timer ];`
  install = files: builtins.listToAttrs (map unitFor files);
}
