import { createServer } from "node:net";
import { WAN_SERVICE_ADDRESS } from "../../conformance/targets/vm/vm.js";

/**
 * The fresh-flash seed of the VM twin's tests (config.toml on boot-a): the admin key,
 * an update server on the WAN side, and the twin's offline probe image
 * (twin/make-probe-image.sh) as the rootful application health depends on.
 */
export function twinSeed(adminKey: string): string {
  return [
    "version = 1",
    "[admin]",
    `ssh_keys = [${JSON.stringify(adminKey)}]`,
    "[firewall.inbound]",
    "tcp = [443]",
    "udp = [1194]",
    "[health]",
    'required = ["probe"]',
    "[os_upgrade]",
    `server_url = "http://${WAN_SERVICE_ADDRESS}:8080"`,
    "[container.probe]",
    "privileged = true",
    "[container.probe.Container]",
    'Image = "oci-archive:/usr/lib/atomicnix/twin/probe-image.tar"',
    "",
  ].join("\n");
}

/** A loopback TCP port free right now (for QEMU's host forwards). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
