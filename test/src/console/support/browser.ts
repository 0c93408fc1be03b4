// Functions passed to `page.evaluate` run in the browser and are typed against the DOM.
/// <reference lib="dom" />
import { constants, existsSync } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page, type Response } from 'playwright-core';

/** Debian's chromium package; `npx playwright install` cannot download a browser on the project's machines. */
const CHROMIUM_PATH = '/usr/bin/chromium';

/** Generous wait for anything the console shows: two shared cores run several engineers' tests at once. */
export const UI_TIMEOUT_MS = 15_000;

/** The desktop size every screen is checked and photographed at. */
export const DESKTOP = { width: 1440, height: 900 } as const;

/** A common phone (iPhone 12–15 class). */
export const PHONE = { width: 390, height: 844 } as const;

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** The repository root: the nearest folder above this file holding `pnpm-workspace.yaml` (works from `src` and from `dist`). */
export const REPO_ROOT = findRepoRoot(dirname(fileURLToPath(import.meta.url)));

/** The built console the control plane serves at `/` (`npm test` builds it first). */
export const CONSOLE_DIST = join(REPO_ROOT, 'console', 'dist');

/** Where screenshots go (gitignored). */
const ARTIFACTS_DIR = join(REPO_ROOT, 'test-artifacts', 'console');

function findRepoRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'pnpm-workspace.yaml'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`No pnpm-workspace.yaml above ${from}: cannot find the repository root.`);
    dir = parent;
  }
  return dir;
}

/**
 * Fails (never skips) when the browser tests cannot run: no built console, or no Debian
 * chromium. Each message says how to fix it.
 */
export async function requireBrowserPrerequisites(): Promise<void> {
  if (!existsSync(join(CONSOLE_DIST, 'index.html'))) {
    throw new Error(
      `The console is not built: ${join(CONSOLE_DIST, 'index.html')} is missing. Run \`npm run build\` (or \`npm test\`, which builds everything first) before the browser tests.`,
    );
  }
  try {
    await access(CHROMIUM_PATH, constants.X_OK);
  } catch {
    throw new Error(
      `The browser tests need Debian's chromium at ${CHROMIUM_PATH}, which is missing. Install it with \`apt-get update && apt-get install -y chromium\` (.ci/run installs it in CI).`,
    );
  }
}

/**
 * Launches headless chromium. Playwright's `launch` gives every browser a fresh temporary
 * profile (user-data dir) and deletes it on close, so no state carries between test files.
 */
export async function launchBrowser(): Promise<Browser> {
  await requireBrowserPrerequisites();
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
}

/** A page of its own browser context (cookies are per context, so each context is one signed-in person). */
export interface ConsolePage {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Bodies of every GraphQL answer (HTTP) since the page opened or the last `forgetTraffic()`. */
  graphqlBodies(): Promise<string[]>;
  /** Frames received over the graphql-ws socket since the page opened or the last `forgetTraffic()`. */
  readonly socketFrames: string[];
  /** Starts the traffic record afresh (e.g. once a shown-once secret is meant to be gone). */
  forgetTraffic(): void;
  /** Uncaught page errors and console errors, for a test to assert there were none. */
  readonly errors: string[];
}

/**
 * Opens a fresh context and page at `viewport`, recording the GraphQL traffic (so a test can
 * prove a secret never comes back over the wire) and the page's errors.
 */
export async function openConsolePage(browser: Browser, viewport: { width: number; height: number } = DESKTOP): Promise<ConsolePage> {
  const context = await browser.newContext({ viewport, locale: 'en-US', timezoneId: 'UTC' });
  context.setDefaultTimeout(UI_TIMEOUT_MS);
  const page = await context.newPage();
  let responses: Response[] = [];
  const socketFrames: string[] = [];
  const errors: string[] = [];
  page.on('response', (res) => {
    if (new URL(res.url()).pathname === '/graphql') responses.push(res);
  });
  page.on('websocket', (ws) => ws.on('framereceived', (frame) => void socketFrames.push(String(frame.payload))));
  page.on('pageerror', (error) => void errors.push(`pageerror: ${error.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  return {
    context,
    page,
    socketFrames,
    errors,
    async graphqlBodies() {
      const bodies = await Promise.all(responses.map((r) => r.text().catch(() => '')));
      return bodies;
    },
    forgetTraffic() {
      responses = [];
      socketFrames.length = 0;
    },
  };
}

/** Saves a full-page screenshot as `test-artifacts/console/<name>.png` and returns its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `${name}.png`);
  // The pointer stays where the last click left it; its hover styles would be noise in the picture.
  await page.mouse.move(0, 0);
  // Animations (the live dot's pulse, row highlights) would make screenshots differ run to run.
  await page.screenshot({ path, fullPage: true, animations: 'disabled' });
  return path;
}
