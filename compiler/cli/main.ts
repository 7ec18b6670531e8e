import { EXIT, UsageError } from "./args.js";

type Command = (argv: string[]) => Promise<number>;

// Lazy imports keep `spec check` from loading the conformance kit and vice versa.
const COMMANDS: Record<string, Record<string, { summary: string; load: () => Promise<Command> }>> = {
  spec: {
    check: { summary: "check a spec tree or OpenSpec root: spec check [PATH] [--json] [--rules atomicnix|openspec]", load: async () => (await import("./spec-check.js")).specCheck },
    compile: { summary: "write generated/ from specs/: spec compile [--check] [--specs DIR] [--out DIR] [--json]", load: async () => (await import("./spec-compile.js")).specCompile },
    archive: { summary: "apply a change's deltas to the baseline: spec archive CHANGE [--specs DIR] [--dry-run] [--json]", load: async () => (await import("./spec-archive.js")).specArchive },
  },
  conformance: {
    coverage: { summary: "list every scenario with binding and last results: conformance coverage [--json]", load: async () => (await import("../../conformance/cli/coverage.js")).coverageCommand },
    report: { summary: "write the evidence as an HTML page and coverage.json: conformance report [--out DIR]", load: async () => (await import("../../conformance/cli/report.js")).reportCommand },
    gate: { summary: "pass only when every implemented scenario is proven at this commit on a target of its level, or validly waived: conformance gate [--require-bound] [--json]", load: async () => (await import("../../conformance/cli/coverage.js")).gateCommand },
    verify: { summary: "check a run's signed attestation (signature, subject, gate acceptance): conformance verify FILE [--allowed-signers F] [--identity I] [--json]", load: async () => (await import("../../conformance/cli/coverage.js")).verifyCommand },
    attest: { summary: "write and sign a run's in-toto test-result statement: conformance attest RUN --key SSH_KEY [--json]", load: async () => (await import("../../conformance/cli/coverage.js")).attestCommand },
    run: { summary: "run the bound scenarios on a device: conformance run --target ssh --host H [--port P] [--user U] [--key F] [--power-cmd CMD] [--console DEV[:BAUD]] [--root-prefix CMD] [--scenario ID ...] [--level L] [--out DIR] [--sign SSH_KEY] [--json]; --target container|vm runs twin/run-suite.ts", load: async () => (await import("../../conformance/cli/run.js")).runCommand },
  },
  // Device runtime groups (device/<area>/cli.ts) register here.
  provision: {
    validate: { summary: "check a config.toml against config-toml and the prov.* rules: provision validate FILE [--json]", load: async () => (await import("../../device/provisioning/cli.js")).validateCommand },
    import: { summary: "import a config.toml or bundle atomically: provision import FILE --root DIR [--json] [--list-crash-points]", load: async () => (await import("../../device/provisioning/cli.js")).importCommand },
    recover: { summary: "remove leftovers of an interrupted import: provision recover --root DIR [--json]", load: async () => (await import("../../device/provisioning/cli.js")).recoverCommand },
  },
  network: {
    "lan-apply": { summary: "render the LAN runtime files from lan-settings.json: network lan-apply [--settings F] [--root DIR] [--mac MAC] [--restart] [--json]", load: async () => (await import("../../device/network/cli.js")).lanApplyCommand },
    "firewall-apply": { summary: "apply firewall-inbound.json in one nft batch: network firewall-apply [--inbound F] [--netns NS] [--json]", load: async () => (await import("../../device/network/cli.js")).firewallApplyCommand },
    "ssh-wan": { summary: "set the SSH-on-WAN rule from the flag file: network ssh-wan [--flag F] [--netns NS] [--json]", load: async () => (await import("../../device/network/cli.js")).sshWanCommand },
  },
};

/** Commands without a group, e.g. `atomicnix update-server --dir BUNDLES`. */
const SINGLE: Record<string, { summary: string; load: () => Promise<Command> }> = {
  // Single commands register here.
  "update-server": { summary: "serve the update poll protocol from a directory of .raucb bundles: update-server --dir BUNDLES [--port N] [--host ADDR] [--keyring PEM] [--pin V] [--json]", load: async () => (await import("../../device/update/cli.js")).updateServerCommand },
};

function usage(): string {
  const lines = ["usage: atomicnix <group> <command> [options]", ""];
  for (const [group, commands] of Object.entries(COMMANDS)) {
    for (const [name, c] of Object.entries(commands)) lines.push(`  ${group} ${name.padEnd(9)} ${c.summary}`);
  }
  for (const [name, c] of Object.entries(SINGLE)) lines.push(`  ${name.padEnd(21)} ${c.summary}`);
  lines.push("", "Exit codes: 0 success, 1 findings or failures, 2 usage error.");
  return lines.join("\n") + "\n";
}

export async function main(argv: string[]): Promise<number> {
  const [group, name, ...rest] = argv;
  if (!group || group === "--help" || group === "-h" || group === "help") {
    process.stdout.write(usage());
    return group ? EXIT.ok : EXIT.usage;
  }
  const single = SINGLE[group];
  if (single) return run(single, group, [name, ...rest].filter((a): a is string => a !== undefined));
  const command = name ? COMMANDS[group]?.[name] : undefined;
  if (!command) {
    process.stderr.write(`atomicnix: unknown command "${[group, name].filter(Boolean).join(" ")}"\n\n${usage()}`);
    return EXIT.usage;
  }
  return run(command, `${group} ${name}`, rest);
}

async function run(command: { load: () => Promise<Command> }, label: string, argv: string[]): Promise<number> {
  try {
    return await (await command.load())(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`atomicnix ${label}: ${e.message}\n`);
      return EXIT.usage;
    }
    throw e;
  }
}
