// Test helper: the machine's Chromium (Debian's `chromium`, which CI installs) driven by puppeteer-core.
import { existsSync } from "node:fs";
import puppeteer, { type Browser } from "puppeteer-core";

const CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

export function chromiumPath(): string {
  const found = [process.env.CHROMIUM_PATH, ...CANDIDATES].find((p) => p && existsSync(p));
  if (!found) {
    throw new Error(
      `no Chromium found (looked in ${CANDIDATES.join(", ")}; set CHROMIUM_PATH): install Debian's chromium (apt-get install chromium), as .ci/run does`,
    );
  }
  return found;
}

export function launchBrowser(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: chromiumPath(),
    // The sandbox needs user namespaces CI containers often lack; the pages are our own, on loopback.
    args: ["--no-sandbox", "--headless=new", "--disable-gpu", "--no-first-run"],
  });
}
