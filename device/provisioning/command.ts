import { parse, UsageError } from "../../lib/args.js";
import { importCommand, recoverCommand, validateCommand } from "./cli.js";
import { firstBoot, type FirstBootOptions } from "./first-boot.js";

/**
 * atomicnix-provision on the gateway (dist/device/provisioning.mjs):
 *   validate FILE [--json]
 *   import FILE --root DIR [--json] [--list-crash-points]
 *   recover --root DIR [--json]
 *   first-boot [--prefix DIR] [--rauc] [--poll-ms N]
 * main.development.ts is the same command with the DEVELOPMENT=1 first-boot step.
 */
const USAGE = "usage: atomicnix-provision validate FILE [--json] | import FILE --root DIR [--json] [--list-crash-points] | recover --root DIR | first-boot [--prefix DIR] [--rauc] [--poll-ms N]";

async function firstBootCommand(argv: string[], beforeSentinel: FirstBootOptions["beforeSentinel"]): Promise<number> {
  const { values } = parse(argv, { prefix: { type: "string", default: "" }, rauc: { type: "boolean" }, "poll-ms": { type: "string" } }, 0);
  const pollMs = values["poll-ms"] ? Number(values["poll-ms"]) : 2000;
  if (!Number.isInteger(pollMs) || pollMs < 50) throw new UsageError("bad --poll-ms");
  return firstBoot({
    prefix: values.prefix!.replace(/\/+$/, ""),
    rauc: values.rauc === true,
    beforeSentinel,
    pollMs,
    log: (l) => process.stderr.write(`first-boot: ${l}\n`),
  });
}

/** The command line of atomicnix-provision; `beforeSentinel` only from the development entry. */
export async function provisioningMain(argv: string[], beforeSentinel?: FirstBootOptions["beforeSentinel"]): Promise<number> {
  const commands: Record<string, (argv: string[]) => Promise<number>> = {
    validate: validateCommand,
    import: importCommand,
    recover: recoverCommand,
    "first-boot": (a) => firstBootCommand(a, beforeSentinel),
  };
  const [name, ...rest] = argv;
  const command = name ? commands[name] : undefined;
  if (!command) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  try {
    return await command(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`atomicnix-provision ${name}: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    throw e;
  }
}
