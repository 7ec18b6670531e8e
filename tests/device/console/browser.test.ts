import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { afterAll, expect } from "vitest";
import { scenario } from "../../../conformance/binding.js";
import { configToml, key, startHarness, type Harness } from "./harness.js";

const CHROMIUM = "/usr/bin/chromium";
let h: Harness | undefined;
const profile = mkdtempSync(join(tmpdir(), "atomicnix-chromium-"));
afterAll(async () => {
  await h?.close();
  rmSync(profile, { recursive: true, force: true });
});

scenario("console.page.browser", { targets: ["host"], timeout: 60_000 }, async ({ context }) => {
  if (!existsSync(CHROMIUM)) return context.skip(`${CHROMIUM} is missing: install Debian's chromium (scripts/setup.sh does)`);
  h = await startHarness();
  const shots = join(h.dataDir, "..", `console-browser-${h.port}`);
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      // The console answers only to its gateway names: resolve the alias to the loopback server.
      "--host-resolver-rules=MAP atomicnix 127.0.0.1",
    ],
    viewport: { width: 1100, height: 1400 },
  });
  try {
    const page = browser.pages()[0] ?? (await browser.newPage());
    await page.goto(`http://atomicnix:${h.port}/`);
    expect(await page.title()).toBe("AtomicNix gateway console");

    const bad = configToml([key("browser").publicLine], { tcp: [70000] });
    await page.fill("#config_text", bad);
    await Promise.all([page.waitForNavigation(), page.click("form[action='/'] button[type=submit]")]);
    const errors = page.locator("#config_text + ul.errors");
    await expect.poll(() => errors.count()).toBe(1);
    expect(await errors.innerText()).toMatch(/firewall\.inbound\.tcp\[0\]/);
    expect(await page.inputValue("#config_text")).toBe(bad);
    expect(existsSync(join(h.configRoot, "config.toml"))).toBe(false);
    await page.screenshot({ path: `${shots}-error.png`, fullPage: true });

    const good = configToml([key("browser").publicLine]);
    await page.fill("#config_text", good);
    await Promise.all([page.waitForNavigation(), page.click("form[action='/'] button[type=submit]")]);
    expect(await page.locator(".notice.ok").innerText()).toContain("Configuration applied.");
    expect(readFileSync(join(h.configRoot, "config.toml"), "utf8")).toBe(good);
    await page.screenshot({ path: `${shots}-ok.png`, fullPage: true });
    // After provisioning the page asks for a signature and says how to make one.
    await page.goto(`http://atomicnix:${h.port}/`);
    expect(await page.locator("#signature").count()).toBe(1);
    expect(await page.content()).toContain("ssh-keygen -Y sign -n atomicnix-config");
    await page.screenshot({ path: `${shots}-provisioned.png`, fullPage: true });
    process.stdout.write(`console screenshots: ${shots}-{error,ok,provisioned}.png\n`);
  } finally {
    await browser.close();
  }
});
