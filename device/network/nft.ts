import { spawnSync } from "node:child_process";

/**
 * How to invoke nft: `["nft"]` on the device; tests prefix it with
 * `ip netns exec NS` to drive the real nft inside a namespace.
 */
export type NftCommand = readonly string[];

export const DEFAULT_NFT: NftCommand = ["nft"];

/** One rule of a chain as `nft -j` reports it. */
export interface NftRule {
  handle: number;
  comment?: string;
  expr: unknown[];
}

function run(nft: NftCommand, args: string[], input?: string): string {
  const r = spawnSync(nft[0]!, [...nft.slice(1), ...args], { input, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new Error(`cannot run ${nft.join(" ")}: ${r.error.message}`);
  if (r.status !== 0) {
    const detail = (r.stderr || r.stdout || `exit status ${r.status}`).trim().split("\n").slice(0, 8).join(" | ");
    throw new Error(`nft ${args.join(" ")} failed: ${detail}`);
  }
  return r.stdout;
}

/** The rules of one chain with their handles and comments. */
export function listChainRules(nft: NftCommand, family: string, table: string, chain: string): NftRule[] {
  const out = run(nft, ["-j", "list", "chain", family, table, chain]);
  const doc = JSON.parse(out) as { nftables: Array<Record<string, any>> };
  return doc.nftables.filter((o) => o.rule).map((o) => ({ handle: o.rule.handle as number, comment: o.rule.comment as string | undefined, expr: o.rule.expr as unknown[] }));
}

/** Runs `script` as one `nft -f` batch: the kernel applies all of it or nothing. */
export function applyNftScript(nft: NftCommand, script: string): void {
  run(nft, ["-f", "/dev/stdin"], script);
}

/** Like applyNftScript, but only checks the batch (`nft -c -f`). */
export function checkNftScript(nft: NftCommand, script: string): void {
  run(nft, ["-c", "-f", "/dev/stdin"], script);
}
