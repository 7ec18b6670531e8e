import fc from "fast-check";
import { expect } from "vitest";
import table from "../../../generated/tables/version-order-examples.json" with { type: "json" };
import { scenario } from "../../../conformance/binding.js";
import { compareVersions, isValidVersion, versionOrder, type Order } from "../../../device/update/version.js";

const onHost = { targets: ["host"] } as const;
const opposite: Record<Order, Order> = { less: "greater", greater: "less", equal: "equal" };

scenario("upgrade.version-order.examples", onHost, () => {
  // The spec's table, as compiled into generated/tables: never re-typed here.
  expect(table.rows.length).toBeGreaterThanOrEqual(10);
  for (const row of table.rows) {
    const order = row.order as Order;
    expect(["less", "equal", "greater"]).toContain(order);
    expect(isValidVersion(row.a) && isValidVersion(row.b)).toBe(true);
    expect({ a: row.a, b: row.b, order: versionOrder(row.a, row.b) }).toEqual({ a: row.a, b: row.b, order });
    expect({ a: row.b, b: row.a, order: versionOrder(row.b, row.a) }).toEqual({ a: row.b, b: row.a, order: opposite[order] });
  }
});

// Versions built from segments that stress every rule: numbers with leading zeros,
// numbers with suffixes, bare suffixes, long build stamps beyond 2^53.
const segChar = fc.constantFrom(..."0123456789abzAZ_+~-".split(""));
const segment = fc.oneof(
  fc.bigInt({ min: 0n, max: 10n ** 20n }).map(String),
  fc.tuple(fc.constantFrom("", "0", "00"), fc.nat(30)).map(([z, n]) => `${z}${n}`),
  fc.tuple(fc.nat(12), fc.string({ unit: segChar, minLength: 1, maxLength: 4 })).map(([n, s]) => `${n}${s}`),
  fc.string({ unit: segChar, minLength: 1, maxLength: 5 }),
);
const version = fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => s.join(".")).filter((v) => v.length <= 64);

scenario("upgrade.version-order.total", onHost, () => {
  fc.assert(
    fc.property(version, (v) => isValidVersion(v) && compareVersions(v, v) === 0),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(version, version, (a, b) => {
      const ab = compareVersions(a, b);
      const ba = compareVersions(b, a);
      // antisymmetric (as a sign) and total: exactly one of <, =, > holds
      expect([-1, 0, 1]).toContain(ab);
      expect(ab).toBe(-ba as -1 | 0 | 1 || 0);
    }),
    { numRuns: 5000 },
  );
  fc.assert(
    fc.property(version, version, version, (a, b, c) => {
      const [x, y, z] = [a, b, c].sort(compareVersions);
      // after sorting with the comparator, every pair must agree with the sort (transitivity)
      expect(compareVersions(x!, y!)).toBeLessThanOrEqual(0);
      expect(compareVersions(y!, z!)).toBeLessThanOrEqual(0);
      expect(compareVersions(x!, z!)).toBeLessThanOrEqual(0);
      if (compareVersions(a, b) <= 0 && compareVersions(b, c) <= 0) expect(compareVersions(a, c)).toBeLessThanOrEqual(0);
      // equal versions compare alike against every third version
      if (compareVersions(a, b) === 0) expect(compareVersions(a, c)).toBe(compareVersions(b, c));
    }),
    { numRuns: 5000 },
  );
  // Equality classes only merge leading zeros: force some to exist.
  fc.assert(
    fc.property(version, version, (a, c) => {
      const b = a.replace(/(^|\.)(\d)/g, "$10$2");
      fc.pre(b.length <= 64);
      expect(compareVersions(a, b)).toBe(0);
      expect(compareVersions(a, c)).toBe(compareVersions(b, c));
    }),
    { numRuns: 2000 },
  );
  expect(() => compareVersions("1..2", "1")).toThrow(/not a valid version/);
});
