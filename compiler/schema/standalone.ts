import { createRequire } from "node:module";
import type { Ajv2020 as Ajv2020Class } from "ajv/dist/2020.js";
import type standaloneModule from "ajv/dist/standalone/index.js";
import { AJV_OPTIONS } from "./ajv-options.js";
import { cached } from "../cache/content-cache.js";

// ajv is CommonJS and its initialisation is a large share of a CLI start: load it on
// the first code generation only (`spec check` never generates).
const require = createRequire(import.meta.url);
let ajv: { Ajv2020: typeof Ajv2020Class; standaloneCode: typeof standaloneModule.default } | undefined;
function loadAjv() {
  ajv ??= { Ajv2020: (require("ajv/dist/2020.js") as { Ajv2020: typeof Ajv2020Class }).Ajv2020, standaloneCode: (require("ajv/dist/standalone/index.js") as typeof standaloneModule).default };
  return ajv;
}

/**
 * ajv's standalone output still calls require() for its runtime helpers even in ESM
 * mode; rewrite those calls into imports so the module loads under Node's ESM and
 * bundles with esbuild.
 */
function esmValidatorModule(code: string): string {
  const imports: string[] = [];
  const body = code.replace(/const (\w+) = require\("([^"]+)"\)\.default;/g, (_m, name: string, spec: string) => {
    const path = spec.endsWith(".js") ? spec : `${spec}.js`;
    imports.push(`import ${name}_module from ${JSON.stringify(path)};`);
    // Node hands over module.exports, bundlers and vite the default export itself.
    return `const ${name} = typeof ${name}_module === "function" ? ${name}_module : ${name}_module.default;`;
  });
  if (/\brequire\(/.test(body)) throw new Error("standalone validator still calls require(): extend esmValidatorModule");
  return `${imports.join("\n")}\n${body.replace(/^"use strict";/, "")}\n`;
}

/** ESM module source of the ajv standalone validator; cached, since ajv's code generation dominates a warm check. */
export function validatorSource(schema: object): string {
  return cached("validators", JSON.stringify(schema), () => generateValidator(schema));
}

function generateValidator(schema: object): string {
  const { Ajv2020, standaloneCode } = loadAjv();
  const instance = new Ajv2020({ ...AJV_OPTIONS, code: { source: true, esm: true, lines: true } });
  const validate = instance.compile(schema);
  return esmValidatorModule(standaloneCode(instance, validate));
}

