// Shim for conformance/static/nix-config.ts only (moving to nix/checks): the reader lives in lib/ini.ts.
export { readIniSections as parseIni } from "../../../lib/ini.js";
