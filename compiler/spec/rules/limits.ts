/** Thresholds the rules share with the model builder; OpenSpec's own are in compiler/openspec/messages.ts. */
export const ID_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*(\.[a-z0-9]+(-[a-z0-9]+)*)+$/;
export const MIN_PURPOSE_LENGTH = 50;
export const MAX_REQUIREMENT_TEXT_LENGTH = 500;
export const REQUIREMENT_KEYS: ReadonlySet<string> = new Set(["id", "en18031", "status", "priority"]);
export const SCENARIO_KEYS: ReadonlySet<string> = new Set(["id", "level", "plan-step"]);
export const STATUSES = ["planned", "implemented"] as const;
