import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';

const root = join(__dirname, '../../..');
export const SCREENSHOTS = join(root, 'artifacts/screenshots');
export const WIDTHS = [
  { width: 1280, height: 800 },
  { width: 390, height: 844 },
] as const;

/** Builds the dashboard when its sources changed since the last build (a no-op otherwise). */
export function buildDashboard(): void {
  execFileSync(process.execPath, [join(root, 'tools/build.js'), '--dashboard'], { cwd: root, stdio: 'ignore' });
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Everything a page shows or holds: its markup plus every input's current value. */
export async function pageText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const values = Array.from(document.querySelectorAll('input, textarea, select')).map((element) =>
      element instanceof HTMLInputElement || element instanceof HTMLTextAreaElement || element instanceof HTMLSelectElement
        ? element.value
        : '',
    );
    return `${document.documentElement.outerHTML}\n${values.join('\n')}`;
  });
}

/** Screenshots the current page at both widths into artifacts/screenshots/<name>-<width>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  for (const size of WIDTHS) {
    await page.setViewportSize(size);
    // Let layout, charts and transitions settle after the resize.
    await page.waitForTimeout(400);
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-${String(size.width)}.png`), fullPage: true });
  }
  await page.setViewportSize(WIDTHS[0]);
}
