import { existsSync, statSync } from "node:fs";
import { parse, UsageError } from "../../compiler/cli/args.js";
import { parseCommandMap, processRunner } from "./runner.js";
import { startUpdateServer } from "./server.js";
import { isValidVersion } from "./version.js";

/**
 * `atomicnix update-server --dir BUNDLES [--port N] [--host ADDR] [--keyring PEM]
 * [--compatible C] [--pin VERSION] [--public-url URL] [--json]`: runs until SIGINT or
 * SIGTERM, logging one line per request (JSON lines with --json).
 */
export async function updateServerCommand(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    {
      dir: { type: "string" },
      port: { type: "string", default: "8000" },
      host: { type: "string", default: "127.0.0.1" },
      keyring: { type: "string" },
      compatible: { type: "string" },
      pin: { type: "string" },
      "public-url": { type: "string" },
      commands: { type: "string" },
      json: { type: "boolean", default: false },
    },
    0,
  );
  if (!values.dir) throw new UsageError("--dir BUNDLES is required");
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
    ...(values.keyring ? { keyring: values.keyring } : {}),
    ...(values.compatible ? { compatible: values.compatible } : {}),
    ...(values.pin ? { pin: values.pin } : {}),
    ...(values["public-url"] ? { publicUrl: values["public-url"] } : {}),
  });
  log(`listening on ${running.url} serving ${values.dir}${values.keyring ? ` (signatures checked against ${values.keyring})` : " (signatures not checked: no --keyring)"}`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await running.close();
  log("stopped");
  return 0;
}
