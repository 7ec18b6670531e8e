// The gateway's network programs (bundled to dist/device/network.mjs):
//   lan-apply       lan-gateway-apply.service
//   firewall-apply  provisioned-firewall-inbound.service
//   ssh-wan         ssh-wan-toggle.service and ssh-wan-reload.service
import { UsageError } from "../../lib/errors.js";
import { firewallApplyCommand, lanApplyCommand, sshWanCommand } from "./cli.js";

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  "lan-apply": lanApplyCommand,
  "firewall-apply": firewallApplyCommand,
  "ssh-wan": sshWanCommand,
};

const USAGE = `usage: network lan-apply [--settings FILE] [--root DIR] [--mac MAC | --mac-file FILE] [--restart] [--json]
       network firewall-apply [--inbound FILE] [--netns NS] [--json]
       network ssh-wan [--flag FILE] [--netns NS] [--json]
Exit codes: 0 applied, 1 failed (ruleset or files left as they were), 2 usage error.`;

export async function networkMain(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const command = name ? COMMANDS[name] : undefined;
  if (!command) {
    process.stderr.write(`${name && name !== "--help" ? `network: unknown command "${name}"\n` : ""}${USAGE}\n`);
    return name === "--help" ? 0 : 2;
  }
  try {
    return await command(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`network ${name}: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    throw e;
  }
}

process.exitCode = await networkMain(process.argv.slice(2));
