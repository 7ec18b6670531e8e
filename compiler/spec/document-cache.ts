import { cached } from "../cache/content-cache.js";
import { extractSpecDocument } from "./extract.js";
import type { SpecDocument } from "./model.js";

/**
 * Markdown parsing (micromark) is by far the most expensive step of a check, and a
 * spec author usually changes one file at a time, so extracted documents (plain
 * data) are cached by the hash of their source.
 */
export function loadSpecDocument(file: string, source: string, options: { persist?: boolean } = {}): SpecDocument {
  const data = cached(
    "spec-documents",
    source,
    () => {
      const { file: _f, source: _s, ...rest } = extractSpecDocument(file, source);
      return rest;
    },
    options,
  );
  return { ...data, file, source };
}
