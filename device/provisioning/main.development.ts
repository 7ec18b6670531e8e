import { existsSync } from "node:fs";
import { writeFileAtomic } from "../../lib/atomic-write.js";
import { provisioningMain } from "./command.js";

/**
 * The provisioning entry of a DEVELOPMENT=1 build (`device/build.ts --development`
 * bundles it as provisioning.mjs instead of main.ts): first boot additionally
 * creates /data/config/ssh-wan-enabled and changes nothing else (prov.development).
 * Production bundles never include this file, so no production code writes the flag.
 */
process.exitCode = await provisioningMain(process.argv.slice(2), (configRoot) => {
  const flag = `${configRoot}/ssh-wan-enabled`;
  if (!existsSync(flag)) writeFileAtomic(flag, "");
});
