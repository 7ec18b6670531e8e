import { parse, type Node } from "acorn";
import { full } from "acorn-walk";

export interface PathUse {
  /** the called function, e.g. "existsSync", "writeFileAtomic" */
  callee: string;
  kind: "test" | "write" | "other";
  line: number;
}

// Bundlers rename clashing imports with a numeric suffix (existsSync4).
const TESTS = /^(existsSync|statSync|lstatSync|accessSync|access|stat|lstat)\d*$/;
const WRITES = /write|append|rename|copy|symlink|link|unlink|rm|mkdir|open|truncate|touch|chmod|chown|utimes/i;

type AnyNode = Node & Record<string, unknown>;

/**
 * Calls in a JavaScript file (a bundled .mjs) that receive a path containing `name`:
 * a string or template literal holding it, or a constant initialised with one. Each
 * is classified by the function called: a test (existsSync, stat ...), a write
 * (write*, rename, open ...) or something else. Parsed with acorn, so comments and
 * unrelated strings are not calls.
 */
export function pathUses(source: string, name: string): PathUse[] {
  const ast = parse(source, { ecmaVersion: "latest", sourceType: "module", locations: true, allowHashBang: true }) as unknown as AnyNode;
  const constants = new Set<string>();
  const holds = (n: AnyNode): boolean =>
    (n.type === "Literal" && typeof n.value === "string" && n.value.includes(name)) ||
    (n.type === "TemplateElement" && String((n.value as { cooked?: string }).cooked ?? "").includes(name)) ||
    (n.type === "Identifier" && constants.has(n.name as string));
  const mentions = (n: AnyNode): boolean => {
    let hit = false;
    full(n, (c) => {
      if (holds(c as AnyNode)) hit = true;
    });
    return hit;
  };
  // Constants first (bundles hoist them), twice so a constant built from another is found.
  for (let i = 0; i < 2; i++) {
    full(ast, (n) => {
      const d = n as AnyNode;
      // Only path values: `const FLAG = "/data/config/x"` or a template/concatenation,
      // not `const enabled = existsSync(FLAG)`.
      const init = d.init as AnyNode | undefined;
      const pathValue = init && ["Literal", "TemplateLiteral", "BinaryExpression"].includes(init.type);
      if (d.type === "VariableDeclarator" && (d.id as AnyNode).type === "Identifier" && pathValue && mentions(init)) constants.add((d.id as AnyNode).name as string);
    });
  }
  const uses: PathUse[] = [];
  full(ast, (n) => {
    const c = n as AnyNode;
    if (c.type !== "CallExpression" || !(c.arguments as AnyNode[]).some(mentions)) return;
    const e = c.callee as AnyNode;
    const callee = e.type === "Identifier" ? (e.name as string) : e.type === "MemberExpression" && (e.property as AnyNode).type === "Identifier" ? ((e.property as AnyNode).name as string) : e.type;
    const kind = TESTS.test(callee) ? "test" : WRITES.test(callee) ? "write" : "other";
    uses.push({ callee, kind, line: c.loc?.start.line ?? 0 });
  });
  return uses;
}
