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

/** One HTTP answer the page received, as text: its headers and body (null when the body could not be read). */
interface RecordedResponse {
  readonly url: string;
  readonly status: number;
  readonly headers: string;
  readonly body: string | null;
}

/** One WebSocket frame, in either direction. */
interface RecordedFrame {
  readonly sent: boolean;
  readonly payload: string;
}

/** A page of its own browser context (cookies are per context, so each context is one signed-in person). */
export interface ConsolePage {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Every HTTP answer (documents, scripts, GraphQL, downloads) since the page opened or the last `forgetTraffic()`. */
  responses(): Promise<RecordedResponse[]>;
  /** Bodies of every GraphQL answer (HTTP) since the page opened or the last `forgetTraffic()`. */
  graphqlBodies(): Promise<string[]>;
  /** Every WebSocket frame sent or received since the page opened or the last `forgetTraffic()`. */
  readonly frames: readonly RecordedFrame[];
  /** Frames received over the graphql-ws socket since the page opened or the last `forgetTraffic()`. */
  readonly socketFrames: string[];
  /** Starts the traffic record afresh (e.g. once a shown-once secret is meant to be gone). */
  forgetTraffic(): void;
  /** Uncaught page errors and console errors, for a test to assert there were none. */
  readonly errors: string[];
}

/**
 * Opens a fresh context and page at `viewport`, recording its traffic (so a test can prove a
 * secret never comes back over the wire) and the page's errors. Each answer's body is read as
 * it arrives: once the page moves on, the browser may no longer hold it.
 */
export async function openConsolePage(browser: Browser, viewport: { width: number; height: number } = DESKTOP): Promise<ConsolePage> {
  const context = await browser.newContext({ viewport, locale: 'en-US', timezoneId: 'UTC' });
  context.setDefaultTimeout(UI_TIMEOUT_MS);
  const page = await context.newPage();
  let responses: { url: string; record: Promise<RecordedResponse> }[] = [];
  const frames: RecordedFrame[] = [];
  const errors: string[] = [];
  page.on('response', (res) => void responses.push({ url: res.url(), record: recordResponse(res) }));
  page.on('websocket', (ws) => {
    ws.on('framereceived', (frame) => void frames.push({ sent: false, payload: String(frame.payload) }));
    ws.on('framesent', (frame) => void frames.push({ sent: true, payload: String(frame.payload) }));
  });
  page.on('pageerror', (error) => void errors.push(`pageerror: ${error.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  const recorded = (path?: string) => Promise.all(responses.filter((r) => path === undefined || new URL(r.url).pathname === path).map((r) => r.record));
  return {
    context,
    page,
    frames,
    get socketFrames() {
      return frames.filter((f) => !f.sent).map((f) => f.payload);
    },
    errors,
    responses: () => recorded(),
    async graphqlBodies() {
      return (await recorded('/graphql')).map((r) => r.body ?? '');
    },
    forgetTraffic() {
      responses = [];
      frames.length = 0;
    },
  };
}

async function recordResponse(res: Response): Promise<RecordedResponse> {
  const [headers, body] = await Promise.all([
    res.allHeaders().catch(() => ({})),
    res.body().then(
      (bytes) => bytes.toString('utf8'),
      () => null,
    ),
  ]);
  return { url: res.url(), status: res.status(), headers: JSON.stringify(headers), body };
}

/**
 * Scrolls the window down the page a screen at a time, as a person reading the page would, and
 * back to the top (where a full-page picture has the sticky header in its place). A full-page
 * picture shows parts no one scrolled to, and some parts lay themselves out only once visible:
 * CodeMirror measures its line heights only while the editor is in view, so below the fold on a
 * phone its gutter numbers stood at estimated 14 px heights beside 20 px text lines.
 */
async function scrollThrough(page: Page): Promise<void> {
  await page.evaluate(async () => {
    const frame = () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    for (let y = 0; y < document.documentElement.scrollHeight; y += window.innerHeight) {
      window.scrollTo(0, y);
      await frame();
    }
    window.scrollTo(0, 0);
    await frame();
  });
}

/** Saves a full-page screenshot as `test-artifacts/console/<name>.png` and returns its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `${name}.png`);
  // The pointer stays where the last click left it; its hover styles would be noise in the picture.
  await page.mouse.move(0, 0);
  await scrollThrough(page);
  // Animations (the live dot's pulse, row highlights) would make screenshots differ run to run.
  await page.screenshot({ path, fullPage: true, animations: 'disabled' });
  return path;
}

/**
 * Everything a console page was given or kept, as text by place, for secret scans: each HTTP
 * answer (headers and body), each WebSocket frame either way, localStorage, sessionStorage,
 * the context's cookie jar and the page as it is now.
 */
export async function placesSeen(owner: ConsolePage): Promise<Record<string, string>> {
  const { page, context } = owner;
  const places: Record<string, string> = {};
  for (const [i, res] of (await owner.responses()).entries()) {
    const url = new URL(res.url);
    places[`response ${i + 1}: ${res.status} ${url.pathname}${url.search}`] = `${res.headers}\n${res.body ?? ''}`;
  }
  for (const [i, frame] of owner.frames.entries()) places[`frame ${i + 1} (${frame.sent ? 'sent' : 'received'})`] = frame.payload;
  const storage = await page.evaluate(() => ({ local: JSON.stringify({ ...localStorage }), session: JSON.stringify({ ...sessionStorage }) }));
  places.localStorage = storage.local;
  places.sessionStorage = storage.session;
  places.cookies = JSON.stringify(await context.cookies());
  places['page'] = await page.content();
  return places;
}
