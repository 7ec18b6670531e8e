import { existsSync, statSync } from "node:fs";
import { parse, UsageError } from "../../lib/args.js";
import { parseCommandMap, processRunner } from "./runner.js";
import { DEFAULT_COMPATIBLE, startUpdateServer } from "./server.js";
import { isValidVersion } from "./version.js";

/**
 * `atomicnix update-server --dir BUNDLES [--port N] [--host ADDR] [--keyring PEM]
 * [--compatible C] [--pin VERSION] [--public-url URL] [--json]`: runs until SIGINT or
 * SIGTERM, logging one line per request (JSON lines with --json).
 */
export const UPDATE_SERVER_HELP = `usage: atomicnix update-server --dir BUNDLES (--keyring CA.pem | --insecure-no-verify) [options]

Serves the os-upgrade poll protocol (GET /api/v1/updates/latest, GET /bundles/NAME) from the .raucb files in BUNDLES.
Each bundle is read with \`rauc info\`; it is offered only when its signature verifies against the keyring and its
manifest compatible matches. Every skipped bundle is logged with the reason.

  --dir DIR             directory of .raucb bundles (read again when files change)
  --keyring PEM         CA certificate the bundles must be signed by (required)
  --insecure-no-verify  offer bundles without checking signatures (development only)
  --compatible C        offer only bundles whose compatible is C (default ${DEFAULT_COMPATIBLE})
  --pin VERSION         offer exactly this version (operator rollback; flagged downgrade when older)
  --public-url URL      base of bundle_url, the address devices reach this server at (default the listen address)
  --host ADDR           listen address (default 127.0.0.1; 0.0.0.0 needs --public-url)
  --port N              listen port (default 8000; 0 picks a free one)
  --commands FILE       JSON map of tool names to commands (tests)
  --json                log JSON lines
  -h, --help            this text
`;

export async function updateServerCommand(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    {
      dir: { type: "string" },
      port: { type: "string", default: "8000" },
      host: { type: "string", default: "127.0.0.1" },
      keyring: { type: "string" },
      "insecure-no-verify": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
      compatible: { type: "string" },
      pin: { type: "string" },
      "public-url": { type: "string" },
      commands: { type: "string" },
      json: { type: "boolean", default: false },
    },
    0,
  );
  if (values.help) {
    process.stdout.write(UPDATE_SERVER_HELP);
    return 0;
  }
  if (!values.dir) throw new UsageError("--dir BUNDLES is required");
  if (!values.keyring && !values["insecure-no-verify"]) throw new UsageError("--keyring CA.pem is required: bundles are offered only when rauc info verifies their signature against it (--insecure-no-verify serves unchecked bundles, for development only)");
  if (values.keyring && values["insecure-no-verify"]) throw new UsageError("give --keyring or --insecure-no-verify, not both");
  if (!values["public-url"] && (values.host === "0.0.0.0" || values.host === "::")) throw new UsageError(`--host ${values.host} listens on every address: give --public-url URL, the address devices reach this server at (bundle_url is built from it, never from the request's Host)`);
  if (!existsSync(values.dir) || !statSync(values.dir).isDirectory()) throw new UsageError(`--dir ${values.dir}: not a directory`);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port ${values.port}: expected an integer 0..65535`);
  if (values.keyring && !existsSync(values.keyring)) throw new UsageError(`--keyring ${values.keyring}: no such file`);
  if (values.pin && !isValidVersion(values.pin)) throw new UsageError(`--pin ${values.pin}: not a valid version`);
  if (values["public-url"] && !/^https?:\/\/\S+$/.test(values["public-url"])) throw new UsageError(`--public-url ${values["public-url"]}: expected an http(s) URL`);
  let commands;
  try {
    commands = parseCommandMap(values.commands);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const json = values.json;
  const log = (line: string) => process.stdout.write(json ? JSON.stringify({ time: new Date().toISOString(), message: line }) + "\n" : `update-server: ${line}\n`);
  const running = await startUpdateServer({
    dir: values.dir,
    host: values.host,
    port,
    runner: processRunner(commands),
    log,
    ...(values.keyring ? { keyring: values.keyring } : { insecureNoVerify: true }),
    ...(values.compatible ? { compatible: values.compatible } : {}),
    ...(values.pin ? { pin: values.pin } : {}),
    ...(values["public-url"] ? { publicUrl: values["public-url"] } : {}),
  });
  log(`listening on ${running.url} serving ${values.dir} for compatible ${values.compatible ?? DEFAULT_COMPATIBLE}${values.keyring ? ` (signatures checked against ${values.keyring})` : " (WARNING: signatures NOT checked, --insecure-no-verify)"}; bundle_url base ${values["public-url"] ?? running.url}`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await running.close();
  log("stopped");
  return 0;
}
