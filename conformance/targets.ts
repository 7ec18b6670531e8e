/**
 * Where a run executes. `host` runs static and unit checks on the developer or CI
 * machine; the others drive a gateway: `container` (systemd-nspawn twin), `vm`
 * (QEMU twin or Nix-built VM), `ssh` (any reachable board) and `artifacts` (built files).
 */
export const TARGET_KINDS = ["host", "artifacts", "container", "vm", "ssh"] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

export function isTargetKind(value: string): value is TargetKind {
  return (TARGET_KINDS as readonly string[]).includes(value);
}

export function currentTarget(env: NodeJS.ProcessEnv = process.env): TargetKind {
  const value = env.ATOMICNIX_TARGET ?? "host";
  if (!isTargetKind(value)) throw new Error(`ATOMICNIX_TARGET="${value}" is not one of ${TARGET_KINDS.join(", ")}`);
  return value;
}
