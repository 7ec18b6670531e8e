import { Ajv2020 } from "ajv/dist/2020.js";
import standalone from "ajv/dist/standalone/index.js";
import { AJV_OPTIONS } from "./ajv-options.js";
import { cached } from "../cache/content-cache.js";

// CommonJS module: its callable default sits on .default under NodeNext typing.
const standaloneCode = standalone.default;

/**
 * ajv's standalone output still calls require() for its runtime helpers even in ESM
 * mode; rewrite those calls into imports so the module loads under Node's ESM and
 * bundles with esbuild.
 */
export function esmValidatorModule(code: string): string {
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
  const ajv = new Ajv2020({ ...AJV_OPTIONS, code: { source: true, esm: true, lines: true } });
  const validate = ajv.compile(schema);
  return esmValidatorModule(standaloneCode(ajv, validate));
}

