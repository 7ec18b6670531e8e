import type { PartCommands } from "../lib/args.js";

/** The conformance kit's commands, read by cli/main.ts. */
export const commands: PartCommands = {
  groups: {
    conformance: {
      coverage: { summary: "list every scenario with binding and last results: conformance coverage [--json]", load: async () => (await import("./cli/coverage.js")).coverageCommand },
      report: { summary: "write the evidence as an HTML page and coverage.json: conformance report [--out DIR]", load: async () => (await import("./cli/report.js")).reportCommand },
      gate: { summary: "pass only when every implemented scenario is proven at this commit on a target of its level, or validly waived: conformance gate [--require-bound] [--json]", load: async () => (await import("./cli/coverage.js")).gateCommand },
      verify: { summary: "check a run's signed attestation (signature, subject, gate acceptance): conformance verify FILE [--allowed-signers F] [--identity I] [--json]", load: async () => (await import("./cli/coverage.js")).verifyCommand },
      attest: { summary: "write and sign a run's in-toto test-result statement: conformance attest RUN --key SSH_KEY [--json]", load: async () => (await import("./cli/coverage.js")).attestCommand },
      run: { summary: "run the bound scenarios on a device: conformance run --target ssh --host H [--port P] [--user U] [--key F] [--power-cmd CMD] [--console DEV[:BAUD]] [--root-prefix CMD] [--scenario ID ...] [--level L] [--out DIR] [--sign SSH_KEY] [--json]; --target container|vm runs twin/run-suite.ts", load: async () => (await import("./cli/run.js")).runCommand },
    },
  },
  singles: {},
};
