import { provisioningMain } from "./command.js";

// The production entry: no first-boot step beyond prov.first-boot (see main.development.ts).
process.exitCode = await provisioningMain(process.argv.slice(2));
