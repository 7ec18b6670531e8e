/**
 * One set of ajv options for checking, code generation and tests, so a schema that
 * passes `spec check` compiles the same way everywhere. Strict, except that
 * `required` inside `not` (our `exclusive` constraint) names keys defined elsewhere.
 */
export const AJV_OPTIONS = { strict: true, strictRequired: false, allErrors: true, allowUnionTypes: true } as const;
