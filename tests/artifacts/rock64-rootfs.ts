/**
 * Artifact scenarios about what the Rock64 root filesystem holds.
 *
 * Nix cannot build here, so on the `host` target each scenario first checks what
 * the Rock64 squashfs is made of: what rock64's module files write, read from their
 * syntax trees (tests/nix/declared.ts: our definitions, never NixOS's merged
 * values), and the plain repository files the modules install. That is no proof of
 * an image: the artifact level is proven only on the `artifacts` target. Where a scenario's property is one the twin shares (accounts,
 * keys, sshd, watchdog settings, the runtime's files), the twin's built squashfs is
 * read with unsquashfs as well: a real image built by the shared build script from
 * the same device/ files. Rock64-only values (compatible, slot devices, SPI env) are
 * never checked against the twin, whose own values differ by design.
 *
 * On the `artifacts` target the built squashfs of $ATOMICNIX_ARTIFACTS_DIR is read
 * instead, and the Rock64 values are asserted on it when it is an arm64 set that is
 * not a twin build; where a scenario's THEN names such a value, a twin set runs every
 * other check and then declares the scenario not runnable.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import { afterAll } from "vitest";
import { currentTarget } from "../../conformance/targets.js";
import { extractSquashfs, loadArtifactSet, type ArtifactSet } from "../../conformance/targets/artifacts/index.js";
import { RootfsTree } from "../../conformance/targets/artifacts/rootfs-tree.js";
import { NixRepo, repoRoot } from "../../nix/checks/repo.js";
import { locateTwin } from "../../twin/locate.js";
import { Declared } from "../nix/declared.js";

export const onArtifacts = { targets: ["host", "artifacts"] } as const;
export const root = repoRoot();
export const repo = new NixRepo(root);
export const rock64 = new Declared(repo, "rock64");
export const target = currentTarget();

// ------------------------------------------------------------ evidence sources

export interface Built {
  /** "twin" on the host, "artifacts" for an artifact set */
  kind: "twin" | "artifacts";
  tree: RootfsTree;
  squashfs: string;
  /** CA certificate the build signs its bundles with */
  caCert?: string;
  /** the Rock64 values apply to this image */
  rock64: boolean;
}

let built: Built | null | undefined;
/** Why there is no built squashfs, once builtRootfs() returned null. */
export let missing = "";
/** The built squashfs this run reads: the artifact set's, or on the host the twin's. */
export function builtRootfs(): Built | null {
  if (built !== undefined) return built;
  if (target === "artifacts") {
    const set: ArtifactSet = loadArtifactSet();
    built = { kind: "artifacts", tree: new RootfsTree(set.squashfs), squashfs: set.squashfs, caCert: set.caCert, rock64: set.arch !== "amd64" && !set.twin };
    return built;
  }
  const twin = locateTwin();
  if ("missing" in twin || !twin.rootfs) {
    missing = "missing" in twin ? twin.missing : "the twin build records no rootfs squashfs";
    built = null;
    return built;
  }
  built = { kind: "twin", tree: new RootfsTree(twin.rootfs), squashfs: twin.rootfs, ...(twin.certs ? { caCert: join(twin.certs, "dev.ca.cert.pem") } : {}), rock64: false };
  return built;
}

let extractedDir = "";
/** The built squashfs unpacked once per run (several scenarios search file contents). */
export function extracted(b: Built): string {
  if (!extractedDir) {
    const parent = mkdtempSync(join(tmpdir(), "rootfs-extract-"));
    extractedDir = join(parent, "root");
    extractSquashfs(b.squashfs, extractedDir);
  }
  return extractedDir;
}
// Removing an unpacked root of ~300 MB takes longer than the 10 s hook default on a busy machine.
afterAll(() => {
  if (extractedDir) rmSync(posix.dirname(extractedDir), { recursive: true, force: true });
}, 120_000);

/** Repository files rock64's modules install as `environment.etc.<name>.source`. */
export function etcSources(): string[] {
  return rock64.names("environment.etc").flatMap((n) => rock64.defs(["environment", "etc", n, "source"]).flatMap((d) => (d.value.k === "path" ? [d.value.v] : [])));
}

/** Password-related declarations of users.users.* in the configuration. */
export function userPasswordDeclarations(cfg: Declared): { user: string; option: string; value: unknown }[] {
  const options = ["hashedPassword", "password", "initialPassword", "initialHashedPassword", "hashedPasswordFile", "passwordFile"];
  return cfg.names("users.users").flatMap((user) => options.flatMap((option) => cfg.values(["users", "users", user, option]).map((value) => ({ user, option, value }))));
}
