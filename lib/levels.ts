/**
 * The test levels a scenario is proven at, cheapest first: the spec compiler checks
 * `**Level**:` lines against this list, generated/ exports it as a type, and the
 * conformance kit orders coverage, waivers and `conformance run --level` by it.
 */
export const LEVELS = ["static", "unit", "artifact", "device", "hardware"] as const;
export type Level = (typeof LEVELS)[number];
