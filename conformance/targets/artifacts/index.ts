/**
 * The `artifacts` target: inspectors for built files (disk image, squashfs, boot
 * partition, RAUC bundle, boot script, signing certificate, U-Boot env). Each one
 * runs the real tool and returns structured data for the tests to assert on.
 */
export { runTool, mustRun } from "./exec.js";
export { inspectDiskLayout, checkRawBlobs, readBytes, SECTOR_BYTES, type DiskLayout, type PartitionEntry, type RawBlobCheck } from "./disk-image.js";
export { inspectSquashfs, listSquashfs, type SquashfsParameters, type SquashfsEntry } from "./squashfs.js";
export { listVfatFiles, readVfatFile, vfatLabel } from "./vfat.js";
export { inspectBundle, verifyBundleSignature, extractBundle, type BundleInfo, type BundleImage, type SignatureCheck } from "./bundle.js";
export { inspectBootScript, type BootScriptImage } from "./boot-script.js";
export { inspectSigningCert, certPublicKey, type SigningCertCheck } from "./signing-cert.js";
export { readUbootEnv } from "./uboot-env.js";
export { scriptPath, certGeneratorPath, runBuildScript } from "./build.js";
export { loadArtifactSet, describeArtifactSet, fileSha256, type ArtifactSet } from "./artifact-set.js";
export { runInQemuUboot, QEMU_ARM64_UBOOT, type UbootRun } from "./uboot-run.js";
export { readSquashfsFile, extractSquashfs } from "./squashfs.js";
export { privateKeyNeedles, holdsNeedle, scanFileForKeys, scanTreeForKeys, pemCertificates, type KeyNeedle } from "./private-keys.js";
export { readIniSections as parseIni } from "../../../lib/ini.js";
