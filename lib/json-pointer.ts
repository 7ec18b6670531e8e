/** The reference tokens of a JSON pointer (RFC 6901: `~1` is `/`, `~0` is `~`); `""` is the root, no tokens. */
export function decodePointer(pointer: string): string[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split("/")
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** An ajv instance path (`/wan/tcp/0`) in the dotted form the specs use (`wan.tcp[0]`); `extra` appends a key. */
export function fieldPath(instancePath: string, extra?: string): string {
  const parts = decodePointer(instancePath);
  if (extra !== undefined) parts.push(extra);
  let out = "";
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : out ? `.${p}` : p;
  return out || "(root)";
}
