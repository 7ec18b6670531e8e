// os-upgrade: the on-device entry point run by os-upgrade.service (bundled to dist/device/update.mjs).
import { readFileSync } from "node:fs";
import { runUpgrade } from "./client.js";
import { readDeviceId, deviceIdFromMac } from "./device-id.js";
import { parseCommandMap, processRunner } from "./runner.js";
import { chooseServerUrl } from "./server-url.js";
import { isValidVersion } from "./version.js";
import { parse } from "../../lib/args.js";

const USAGE = `usage: os-upgrade [--server-url URL] [--config FILE] [--bundle-dir DIR] [--current-version V | --version-file FILE]
                  [--mac ADDR | --mac-file FILE] [--commands rauc=PATH,reboot=PATH]
  Environment: OS_UPGRADE_URL (fallback server URL), ATOMICNIX_COMMANDS (same as --commands).
  Exit codes: 0 done or non-fatal server/network problem, 1 install failed, 2 usage or device setup error.`;

function log(line: string): void {
  process.stdout.write(`os-upgrade: ${line}\n`);
}

export async function osUpgradeMain(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parse(
      argv,
      {
        "server-url": { type: "string" },
        config: { type: "string", default: "/data/config/os-upgrade.json" },
        "bundle-dir": { type: "string", default: "/data/config/bundles" },
        "current-version": { type: "string" },
        "version-file": { type: "string", default: "/etc/atomicnix/version" },
        mac: { type: "string" },
        "mac-file": { type: "string", default: "/sys/class/net/eth0/address" },
        commands: { type: "string" },
        help: { type: "boolean" },
      },
      0,
    ));
  } catch (e) {
    process.stderr.write(`os-upgrade: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  try {
    const choice = chooseServerUrl(values.config, values["server-url"] ?? process.env.OS_UPGRADE_URL);
    if ("error" in choice) throw new Error(choice.error);
    if (choice.fileProblem) log(`${choice.fileProblem}; ignoring it and using the configured fallback ${choice.url}`);
    const currentVersion = values["current-version"] ?? readVersionFile(values["version-file"]);
    if (!isValidVersion(currentVersion)) throw new Error(`running version ${JSON.stringify(currentVersion)} does not match the version pattern of update-response`);
    const deviceId = values.mac ? deviceIdFromMac(values.mac) : readDeviceId(values["mac-file"]);
    const runner = processRunner(parseCommandMap(values.commands ?? process.env.ATOMICNIX_COMMANDS));
    log(`polling ${choice.url} (from ${choice.source === "file" ? values.config : "the configured fallback"}) as ${deviceId}, running ${currentVersion}`);
    const result = await runUpgrade({ serverUrl: choice.url, deviceId, currentVersion, bundleDir: values["bundle-dir"], runner, log });
    return result.exitCode;
  } catch (e) {
    process.stderr.write(`os-upgrade: ${(e as Error).message}\n`);
    return 2;
  }
}

function readVersionFile(file: string): string {
  try {
    return readFileSync(file, "utf8").split("\n")[0]!.trim();
  } catch (e) {
    throw new Error(`${file}: cannot read the running version (${(e as Error).message}); pass --current-version`);
  }
}

process.exitCode = await osUpgradeMain(process.argv.slice(2));
