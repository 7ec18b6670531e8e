import { importConfig } from "../../../device/provisioning/import.js";
import { validateConfigText } from "../../../device/provisioning/config.js";
import type { ImportConfig, ValidateConfigText } from "../../../device/console/server.js";

/** The console is tested against the real provisioning validator and importer. */
export interface Provisioning {
  importConfig: ImportConfig;
  validateConfigText: ValidateConfigText;
}

export async function loadProvisioning(): Promise<Provisioning> {
  return { importConfig, validateConfigText };
}
