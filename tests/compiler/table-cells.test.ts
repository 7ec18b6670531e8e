import fc from "fast-check";
import { expect, test } from "vitest";
import { nodeText, parseMarkdown } from "../../compiler/spec/markdown.js";
import { cellNeedsMarkdown, cellText } from "../../compiler/spec/table-blocks.js";

// The plain-text reading of a table cell skips remark for cells it judges markup-free;
// for every such cell it must give exactly remark's text, or verdicts would drift.
const remarkText = (raw: string) => nodeText(parseMarkdown(raw.replace(/\\\|/g, "|"))).trim();

test("cells read without remark give remark's text", () => {
  const piece = fc.constantFrom("a", "Z", "0", "_", "[", "]", "(", ")", "!", "`", "\\", " ", ":", "^", "-", "#", "~", ">", "1.", "2)", "+", "=", "  ", "a@b.c", "www.x.io", "http://x.io", ".", "x_y", "[UNVERIFIED]", "boot_count", "![img]", "[^1]");
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 14 }).map((p) => p.join("")), (raw) => {
      const cell = raw.trim();
      // only the cells this reading newly keeps from remark (others never went there)
      if (/[*_[<&!]/.test(cell.replace(/`[^`]*`/g, "")) && !cellNeedsMarkdown(cell)) expect(cellText(cell)).toBe(remarkText(cell));
    }),
    { numRuns: 20000 },
  );
});

test("cells with markup still go through remark", () => {
  for (const raw of ["[a](b)", "![i](x)", "[a][b]", "[a]: x", "_a_", "a _b", "**b**", "<x>", "&amp;"]) expect(cellNeedsMarkdown(raw)).toBe(true);
  for (const raw of ["[UNVERIFIED] x", "boot_count", "a ! b", "x_y_z"]) expect(cellNeedsMarkdown(raw)).toBe(false);
});
