/** See cli-bundle.js: the prebuilt CLI bundle and its staleness guard. */
export function currentBundle(repo?: string): string | undefined;
export function buildBundle(repo?: string): Promise<string>;
export function ensureBundle(repo?: string): Promise<string>;
export function bundleUrl(path: string): string;
