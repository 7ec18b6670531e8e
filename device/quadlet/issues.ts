/** The renderer reports problems in provisioning's shape, so the importer merges both lists unchanged. */
export type { Issue } from "../provisioning/issues.js";
