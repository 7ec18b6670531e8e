import { EXIT, UsageError } from "../../lib/args.js";

type Command = (argv: string[]) => Promise<number>;

// Lazy imports keep `spec check` from loading the conformance kit and vice versa.
const COMMANDS: Record<string, Record<string, { summary: string; load: () => Promise<Command> }>> = {
  spec: {
    check: { summary: "check a spec tree or OpenSpec root: spec check [PATH] [--json] [--rules atomicnix|openspec] [--watch] [--explain RULE|all]", load: async () => (await import("./spec-check.js")).specCheck },
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
    validate: { summary: "check a config.toml or bundle (a dry run of import, nothing stored): provision validate FILE [--json]", load: async () => (await import("../../device/provisioning/cli.js")).validateCommand },
    import: { summary: "import a config.toml or bundle atomically: provision import FILE (--data-dir DATA | --root DATA/config) [--json] [--list-crash-points]", load: async () => (await import("../../device/provisioning/cli.js")).importCommand },
    recover: { summary: "remove leftovers of an interrupted import: provision recover (--data-dir DATA | --root DATA/config) [--json]", load: async () => (await import("../../device/provisioning/cli.js")).recoverCommand },
  },
  twin: {
    shell: { summary: "boot the twin VM and run commands in it as root: twin shell [--keep] [--dir DIR] [--wait shell|multi-user] [--arch A]", load: async () => (await import("../../operator/twin-shell.js")).twinShellCommand },
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
  lsp: { summary: "Language Server on stdio for specs/**/*.md and test files: atomicnix lsp", load: async () => (await import("../lsp/server.js")).lspCommand },
  "update-server": { summary: "serve the update poll protocol from a directory of .raucb bundles: update-server --dir BUNDLES (--keyring PEM | --insecure-no-verify) [--compatible C (rock64)] [--public-url URL] [--pin V] [--host ADDR] [--port N] [--commands F] [--json]; --help for details", load: async () => (await import("../../device/update/cli.js")).updateServerCommand },
  flash: { summary: "write a disk image to an eMMC/SD card safely, with progress and SHA-256 read-back: flash IMAGE DEVICE [--yes] [--force] [--no-verify] [--json]", load: async () => (await import("../../operator/flash.js")).flashCommand },
  serial: { summary: "the Rock64 serial console (1500000 baud): capture with reconnect, interactive on a terminal: serial [--device D] [--log FILE] [--baud N] [--timeout S]", load: async () => (await import("../../operator/serial.js")).serialCommand },
  console: { summary: "run the bootstrap console: console --data-dir DIR [--listen ADDR:PORT] [--trust CIDR ...] [--no-apply] [--json]", load: async () => (await import("../../device/console/cli.js")).consoleCommand },
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
  const commands = COMMANDS[group];
  if (commands && (name === undefined || name === "--help" || name === "-h" || name === "help")) {
    // `atomicnix provision --help`: the group's own commands, not "unknown command".
    const lines = Object.entries(commands).map(([n, c]) => `  ${group} ${n.padEnd(9)} ${c.summary}`);
    (name ? process.stdout : process.stderr).write(`usage: atomicnix ${group} <command> [options]\n\n${lines.join("\n")}\n`);
    return name ? EXIT.ok : EXIT.usage;
  }
  const command = name ? commands?.[name] : undefined;
  if (!command) {
    process.stderr.write(`atomicnix: unknown command "${[group, name].filter(Boolean).join(" ")}"\n\n${usage()}`);
    return EXIT.usage;
  }
  return run(command, `${group} ${name}`, rest);
}

export async function run(command: { load: () => Promise<Command> }, label: string, argv: string[]): Promise<number> {
  try {
    return await (await command.load())(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`atomicnix ${label}: ${e.message}\n`);
      return EXIT.usage;
    }
    // A bug of ours must not look like a finding (exit 1) or vanish under --json.
    const message = e instanceof Error ? e.message : String(e);
    if (argv.includes("--json")) process.stdout.write(JSON.stringify({ ok: false, internalError: message }, null, 2) + "\n");
    process.stderr.write(`atomicnix ${label}: internal error: ${message}\n${e instanceof Error && process.env.ATOMICNIX_DEBUG ? e.stack + "\n" : ""}`);
    return EXIT.usage;
  }
}
