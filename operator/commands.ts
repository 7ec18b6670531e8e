import type { PartCommands } from "../lib/args.js";

/** The operator's tools (twin shell, flashing, the serial console), read by cli/main.ts. */
export const commands: PartCommands = {
  groups: {
    twin: {
      shell: { summary: "boot the twin VM and run commands in it as root: twin shell [--keep] [--dir DIR] [--wait shell|multi-user] [--arch A]", load: async () => (await import("./twin-shell.js")).twinShellCommand },
    },
  },
  singles: {
    flash: { summary: "write a disk image to an eMMC/SD card safely, with progress and SHA-256 read-back: flash IMAGE DEVICE [--yes] [--force] [--no-verify] [--json]", load: async () => (await import("./flash.js")).flashCommand },
    serial: { summary: "the Rock64 serial console (1500000 baud): capture with reconnect, interactive on a terminal: serial [--device D] [--log FILE] [--baud N] [--timeout S]", load: async () => (await import("./serial.js")).serialCommand },
  },
};
