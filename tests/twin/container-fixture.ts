import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, type TestContext } from "vitest";
import { ContainerTarget } from "../../conformance/targets/container/container.js";
import { currentTarget } from "../../conformance/targets.js";
import { locateTwin } from "../../twin/locate.js";

/**
 * One nspawn twin per test file, booted on first use and stopped in afterAll (also
 * on failure). Tests call `twin(context)`: it skips the test with the reason when
 * the twin is not built, and boots nothing unless ATOMICNIX_TARGET=container.
 */
export function useContainerTwin(): (context: TestContext) => Promise<ContainerTarget> {
  let target: ContainerTarget | undefined;
  let starting: Promise<ContainerTarget> | undefined;
  let scratch: string | undefined;
  afterAll(async () => {
    if (target) {
      await target.stop();
      const d = target.describe();
      console.log(`container twin: ${d.boots} boot(s), boot times ms ${target.bootTimes.join(", ")}`);
    }
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }, 60_000);
  return async (context) => {
    if (currentTarget() !== "container") context.skip("not a container run");
    const twin = locateTwin();
    if ("missing" in twin) context.skip(twin.missing);
    if (process.getuid?.() !== 0) context.skip("the container twin needs root (namespaces, nspawn)");
    if (!("missing" in twin) && !starting) {
      scratch = mkdtempSync(join(tmpdir(), "atomicnix-twin-"));
      const t = new ContainerTarget({ root: twin.root, dataDir: join(scratch, "data"), logDir: join(scratch, "log"), imageHash: twin.key, arch: twin.arch });
      target = t;
      starting = t.start().then(() => t);
    }
    return starting!;
  };
}
