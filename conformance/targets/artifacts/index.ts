/**
 * The `artifacts` target: inspectors for built files (disk image, squashfs, boot
 * partition, RAUC bundle, boot script, signing certificate, U-Boot env). Each one
 * runs the real tool and returns structured data for the tests to assert on.
 */
export { mustRun } from "./exec.js";
export { inspectDiskLayout, checkRawBlobs } from "./disk-image.js";
export { inspectSquashfs, listSquashfs } from "./squashfs.js";
export { listVfatFiles, readVfatFile } from "./vfat.js";
export { inspectBundle, verifyBundleSignature, extractBundle } from "./bundle.js";
export { inspectBootScript } from "./boot-script.js";
export { inspectSigningCert, certPublicKey } from "./signing-cert.js";
export { readUbootEnv } from "./uboot-env.js";
export { scriptPath, certGeneratorPath, runBuildScript } from "./build.js";
export { loadArtifactSet, describeArtifactSet, type ArtifactSet } from "./artifact-set.js";
export { runInQemuUboot } from "./uboot-run.js";
export { readSquashfsFile, extractSquashfs } from "./squashfs.js";
export { privateKeyNeedles, holdsNeedle, scanFileForKeys, scanTreeForKeys, pemCertificates } from "./private-keys.js";
export { readIniSections as parseIni } from "../../../lib/ini.js";
