/**
 * DNS name rules of prov.dns-names: dot-separated labels of 1-63 letters, digits and
 * inner hyphens, alphanumeric at both ends, at most 253 characters; one trailing dot
 * is dropped and names are stored lower-cased.
 */
const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Returns the normalised name or throws an Error saying what is wrong. */
export function normaliseDnsName(input: string): string {
  const name = (input.endsWith(".") ? input.slice(0, -1) : input).toLowerCase();
  if (name.length === 0) throw new Error("must not be empty");
  if (name.length > 253) throw new Error(`is ${name.length} characters long; at most 253 are allowed`);
  for (const label of name.split(".")) {
    if (label.length === 0) throw new Error("has an empty label");
    if (label.length > 63) throw new Error(`has a label of ${label.length} characters; at most 63 are allowed`);
    if (!LABEL.test(label)) throw new Error(`label "${label}" must be letters, digits and inner hyphens, alphanumeric at both ends`);
  }
  return name;
}

/** Twelve hex digits stand in for the eth1 MAC when a hostname pattern is checked. */
const MAC_PLACEHOLDER_SAMPLE = "0123456789ab";

export function normaliseHostnamePattern(input: string): string {
  if (!input.includes("{mac}")) throw new Error("must contain {mac}");
  const lower = (input.endsWith(".") ? input.slice(0, -1) : input).toLowerCase();
  normaliseDnsName(lower.split("{mac}").join(MAC_PLACEHOLDER_SAMPLE));
  return lower;
}
