import { unified } from "unified";
import remarkParse from "remark-parse";
import remarkGfm from "remark-gfm";
import type { Root } from "mdast";
import { toString } from "mdast-util-to-string";

// One frozen processor: building it per file costs more than parsing a spec.
const processor = unified().use(remarkParse).use(remarkGfm).freeze();

export function parseMarkdown(source: string): Root {
  return processor.parse(source) as Root;
}

export interface Position {
  line: number;
  column: number;
}

export { toString as nodeText };
