import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

export const CHROMIUM = process.env.ATOMICNIX_CHROMIUM ?? "/usr/bin/chromium";

export interface Rendered {
  /** every request the page made other than its own file: a standalone page makes none */
  foreignRequests: string[];
  pdf?: string;
  screenshots: string[];
}

/**
 * Opens the report in headless Chromium with a fresh profile and every network
 * request refused, optionally prints it to PDF and takes full-page screenshots.
 */
export async function renderReport(html: string, out: { pdf?: string; screenshots?: string[] } = {}): Promise<Rendered> {
  const profile = mkdtempSync(join(tmpdir(), "atomicnix-report-chromium-"));
  const self = pathToFileURL(html).href;
  const foreignRequests: string[] = [];
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport: { width: 1280, height: 1600 },
  });
  try {
    await browser.route("**/*", (route) => {
      const url = route.request().url();
      if (url.split("#")[0] === self) return route.continue();
      foreignRequests.push(url);
      return route.abort();
    });
    const page = browser.pages()[0] ?? (await browser.newPage());
    await page.goto(self, { waitUntil: "load" });
    const screenshots: string[] = [];
    for (const [i, file] of (out.screenshots ?? []).entries()) {
      // first the top of the page, then the EN 18031 table, then a scenario section
      const target = ["body", "#en18031", "section.sc"][i] ?? "body";
      await page.evaluate((sel) => document.querySelector(sel)?.scrollIntoView({ block: "start" }), target);
      await page.screenshot({ path: file, fullPage: false });
      screenshots.push(file);
    }
    if (out.pdf) await page.pdf({ path: out.pdf, format: "A4", printBackground: true, margin: { top: "12mm", bottom: "12mm", left: "10mm", right: "10mm" } });
    return { foreignRequests, screenshots, ...(out.pdf ? { pdf: out.pdf } : {}) };
  } finally {
    await browser.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
