# Entries of package-lock.json that nixpkgs cannot fetch: importNpmLock and
# fetchNpmDeps both fetch a package by its `resolved` URL and `integrity` and skip
# an entry without them, so `npm ci` would later fail offline in the sandbox.
# npm leaves `resolved` out when omit-lockfile-registry-resolved is set (as on the
# machines this repository is developed on). Builtins only, so tests/nix can run
# it with the plain nix-instantiate of the development host.
{ lock }:
let
  packages = (builtins.fromJSON (builtins.readFile lock)).packages or { };
  fetchable = name: let p = packages.${name}; in (p.link or false) || (p ? resolved && p ? integrity);
  missing = builtins.filter (n: n != "" && !(fetchable n)) (builtins.attrNames packages);
in
{
  inherit missing;
  total = builtins.length (builtins.attrNames packages) - 1;
}
