import type { PartCommands } from "../lib/args.js";

/**
 * The device runtime's commands on the host CLI (device/<area>/cli.ts), read by
 * cli/main.ts. The gateway runs the same code through its own entries (device/build.ts).
 */
export const commands: PartCommands = {
  groups: {
    provision: {
      validate: { summary: "check a config.toml or bundle (a dry run of import, nothing stored): provision validate FILE [--json]", load: async () => (await import("./provisioning/cli.js")).validateCommand },
      import: { summary: "import a config.toml or bundle atomically: provision import FILE (--data-dir DATA | --root DATA/config) [--json] [--list-crash-points]", load: async () => (await import("./provisioning/cli.js")).importCommand },
      recover: { summary: "remove leftovers of an interrupted import: provision recover (--data-dir DATA | --root DATA/config) [--json]", load: async () => (await import("./provisioning/cli.js")).recoverCommand },
    },
    network: {
      "lan-apply": { summary: "render the LAN runtime files from lan-settings.json: network lan-apply [--settings F] [--root DIR] [--mac MAC] [--restart] [--json]", load: async () => (await import("./network/cli.js")).lanApplyCommand },
      "firewall-apply": { summary: "apply firewall-inbound.json in one nft batch: network firewall-apply [--inbound F] [--netns NS] [--json]", load: async () => (await import("./network/cli.js")).firewallApplyCommand },
      "ssh-wan": { summary: "set the SSH-on-WAN rule from the flag file: network ssh-wan [--flag F] [--netns NS] [--json]", load: async () => (await import("./network/cli.js")).sshWanCommand },
    },
  },
  singles: {
    "update-server": { summary: "serve the update poll protocol from a directory of .raucb bundles: update-server --dir BUNDLES (--keyring PEM | --insecure-no-verify) [--compatible C (rock64)] [--public-url URL] [--pin V] [--host ADDR] [--port N] [--commands F] [--json]; --help for details", load: async () => (await import("./update/cli.js")).updateServerCommand },
    console: { summary: "run the bootstrap console: console --data-dir DIR [--listen ADDR:PORT] [--trust CIDR ...] [--no-apply] [--json]", load: async () => (await import("./console/cli.js")).consoleCommand },
  },
};
