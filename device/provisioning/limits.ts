/** Input limits of prov.input-kinds and prov.bundle-limits. */
const MiB = 1024 * 1024;
export const LIMITS = {
  /** a plain config.toml, and config.toml inside a bundle */
  configToml: 1 * MiB,
  /** compressed bundle size */
  compressed: 64 * MiB,
  /** sum of member contents */
  unpacked: 64 * MiB,
  members: 1000,
  pathBytes: 255,
} as const;

/**
 * Decompressed tar stream bound: the content limit plus room for a header, PAX/GNU
 * long-name records and padding per member and the end-of-archive blocks. Anything
 * larger cannot be a bundle within the limits, so decompression stops there.
 */
export const TAR_STREAM_LIMIT = LIMITS.unpacked + (LIMITS.members + 1) * 4096 + 64 * 1024;

/**
 * Size and count limits of prov.input-limits. The list and name limits are also in
 * schema `config-toml` (max-items, key-pattern); the per-kind unit count is checked
 * here because the schema language has no max-properties.
 */
export const CONFIG_LIMITS = {
  unitName: 64,
  unitsPerKind: 64,
} as const;
