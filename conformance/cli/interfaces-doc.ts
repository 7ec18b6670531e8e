/** Rewrites docs/exposed-interfaces.md from the firewall spec: npx tsx conformance/cli/interfaces-doc.ts */
import { checkCorpus } from "../../compiler/corpus/check.js";
import { writeFileAtomic } from "../../lib/atomic-write.js";
import { INTERFACES_DOC, interfacesDoc } from "../report/interfaces-doc.js";

const check = checkCorpus("specs");
if (check.totals.errors > 0) throw new Error("specs/ has errors: run npx atomicnix spec check");
writeFileAtomic(INTERFACES_DOC, interfacesDoc(check.catalogue));
console.log(`wrote ${INTERFACES_DOC}`);
