import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { expectAccessible } from './support/accessibility.js';
import { DESKTOP, launchBrowser, openConsolePage, PHONE, saveScreenshot, UI_TIMEOUT_MS, type ConsolePage } from './support/browser.js';
import { openScreen, settle, signIn, tableRows } from './support/console-actions.js';
import { startConsoleSystem, waitForKeyOnNode, type ConsoleSystem } from './support/console-system.js';
import { HOLD_POLICY_NAME, seedHeldRequests, seedOrganization, type SeededHolds, type SeededOrganization } from './support/seed.js';

/** Saves the page as `<size>-<name>` and checks it with axe-core. */
type Shoot = (name: string) => Promise<void>;

/**
 * A main screen: how to reach it, what shows that its data has loaded, and the pages, dialogs
 * and drawers opened from it that are photographed and checked too (`more`, which leaves the
 * screen as it found it or on another screen).
 */
interface Screen {
  readonly file: string;
  readonly nav: string;
  readonly title?: string;
  ready(page: Page, seeded: SeededOrganization): Promise<void>;
  more?(page: Page, seeded: SeededOrganization, shoot: Shoot): Promise<void>;
}

/** A screen whose title is all there is to wait for (`settle` waits out its loading). */
const titled = () => Promise.resolve();

/** Where the keyboard focus is: in a dialog, or the `data-test` of the focused element. */
const focusIn = (page: Page) =>
  page.evaluate(() => (document.activeElement?.closest('[role=dialog]') ? 'dialog' : document.activeElement?.getAttribute('data-test')));

/**
 * Opens a dialog with the button `button` (its `data-test`), photographs it, and closes it with
 * Escape: focus moves into the dialog while it is open and back to the button after.
 */
async function shootDialog(page: Page, button: string, name: string, shoot: Shoot): Promise<void> {
  await page.locator(`[data-test=${button}]`).click();
  await page.getByRole('dialog').last().waitFor();
  await expect.poll(() => focusIn(page)).toBe('dialog');
  await shoot(name);
  await page.keyboard.press('Escape');
  await page.getByRole('dialog').waitFor({ state: 'hidden' });
  await expect.poll(() => focusIn(page)).toBe(button);
}

const SCREENS: readonly Screen[] = [
  {
    file: 'overview',
    nav: 'Overview',
    ready: async (page, s) => {
      await page.locator('canvas').first().waitFor();
      await tableRows(page, s.keyNames[1]!).waitFor();
    },
  },
  {
    file: 'keys',
    nav: 'Keys',
    ready: (page, s) => tableRows(page, s.keyNames[0]!).waitFor(),
    more: async (page, s, shoot) => {
      await shootDialog(page, 'create-key', 'keys-new-key', shoot);
      await page.getByRole('link', { name: s.keyNames[1]!, exact: true }).click();
      await page.getByRole('heading', { level: 1, name: s.keyNames[1]! }).waitFor();
      await page.locator('[data-test=recent-request]').first().waitFor();
      await shoot('key-page');
      if ((page.viewportSize()?.width ?? 0) < 600) expect(await unhintedWideTables(page), 'the key page has tables wider than the phone').toEqual([]);
      // The key's facts sit side by side where there is room, one under another on a phone.
      const columns = await page.locator('[data-test=key-facts] dl').evaluate((el) => getComputedStyle(el).gridTemplateColumns.split(' ').length);
      if ((page.viewportSize()?.width ?? 0) > 600) expect(columns).toBeGreaterThan(2);
      else expect(columns).toBe(1);
      // The team page, from the page of a key in a team.
      await page.goBack();
      await page.getByRole('link', { name: s.keyNames[0]!, exact: true }).click();
      await page.getByRole('heading', { level: 1, name: s.keyNames[0]! }).waitFor();
      await page.getByRole('link', { name: s.teamName, exact: true }).click();
      await page.getByRole('heading', { level: 1, name: s.teamName }).waitFor();
      await page.locator('[data-test=team-keys]').getByText(s.keyNames[0]!).first().waitFor();
      await shoot('team-page');
    },
  },
  { file: 'credentials', nav: 'Provider credentials', ready: (page, s) => tableRows(page, s.credentialName).waitFor() },
  { file: 'models', nav: 'Models', ready: (page) => page.locator('.n-data-table-tbody .n-data-table-tr').first().waitFor() },
  { file: 'playground', nav: 'Playground', ready: (page) => page.getByText('None yet: your chats are saved here.').waitFor() },
  {
    file: 'policies',
    nav: 'Policies',
    ready: (page) => page.getByRole('link', { name: HOLD_POLICY_NAME }).waitFor(),
    more: async (page, _s, shoot) => {
      await page.getByRole('link', { name: HOLD_POLICY_NAME }).click();
      await page.getByRole('heading', { level: 1, name: HOLD_POLICY_NAME }).waitFor();
      await page.locator('.cm-editor .cm-line').first().waitFor();
      await expectGutterBesideLines(page);
      await shoot('policy-page');
      await page.getByRole('link', { name: '← Policies' }).click();
      await page.locator('[data-test=new-policy]').click();
      await page.locator('[data-test=create-policy]').waitFor();
      await expectGutterBesideLines(page);
      await shoot('policy-new');
      // The picture is taken scrolled to the top, the editor out of view again: its numbers stay put.
      expect((await gutterDrift(page)).drift).toBeLessThanOrEqual(1);
    },
  },
  { file: 'requests-live', nav: 'Requests', ready: (page, s) => tableRows(page, s.keyNames[0]!).first().waitFor() },
  { file: 'members', nav: 'Members', ready: (page, s) => page.getByText(s.invitedEmail).first().waitFor() },
  { file: 'api-tokens', nav: 'API tokens', ready: (page, s) => tableRows(page, s.apiTokenName).waitFor() },
  { file: 'routes', nav: 'Routes', ready: (page) => page.locator('[data-test=route-test]').waitFor() },
  { file: 'nodes', nav: 'Data-plane nodes', ready: (page) => page.getByText('system-node').first().waitFor() },
  { file: 'pools', nav: 'Key pools', ready: (page) => page.locator('[data-test=new-pool]').waitFor() },
  { file: 'sso', nav: 'Single sign-on', ready: (page) => page.getByText('Single sign-on').nth(1).waitFor() },
  { file: 'settings', nav: 'Settings', ready: (page) => page.getByText('Time zone').first().waitFor() },
  { file: 'admin-activity', nav: 'Admin activity', ready: (page) => page.locator('.n-data-table-tbody .n-data-table-tr').first().waitFor() },
  { file: 'audit-trail', nav: 'Audit trail', ready: (page) => page.locator('[data-test=trail-rows] .n-data-table-tbody .n-data-table-tr').first().waitFor() },
  { file: 'performance', nav: 'Performance', ready: (page) => page.getByRole('region', { name: 'Requests by decision' }).locator('canvas').first().waitFor() },
  {
    file: 'approvals',
    nav: 'Approvals',
    ready: (page) => page.locator('[data-test^="approval-"]').first().waitFor(),
    more: async (page, _s, shoot) => {
      // A decided request's drawer, from the History tab: what was held, by what, and who decided.
      await page.getByRole('tab', { name: 'History' }).click();
      await page.locator('.n-data-table-tbody .n-data-table-tr').first().click();
      await page.locator('.n-drawer .n-timeline-item').first().waitFor();
      await shoot('approvals-drawer');
      await page.keyboard.press('Escape');
      await page.locator('.n-drawer').waitFor({ state: 'hidden' });
    },
  },
  {
    file: 'budgets',
    nav: 'Budgets & limits',
    ready: titled,
    more: async (page, _s, shoot) => {
      await shootDialog(page, 'add-budget', 'budgets-new-budget', shoot);
      await shootDialog(page, 'add-rate-limit', 'budgets-new-rate-limit', shoot);
    },
  },
  { file: 'mcp-servers', nav: 'MCP servers', ready: titled, more: (page, _s, shoot) => shootDialog(page, 'add-mcp-server', 'mcp-servers-new', shoot) },
  {
    file: 'webhooks',
    nav: 'Webhooks & Slack',
    ready: titled,
    more: async (page, _s, shoot) => {
      await shootDialog(page, 'add-webhook', 'webhooks-new', shoot);
      await shootDialog(page, 'connect-slack', 'webhooks-slack', shoot);
    },
  },
  { file: 'billing', nav: 'Usage & billing', ready: (page) => page.getByRole('heading', { name: 'Statements' }).waitFor() },
];

/** One seeded organization serves every test here: the screenshots and the playground's chat. */
let world: ConsoleSystem;
let browser: Browser;
let seeded: SeededOrganization;
/** A policy holding a key's requests: one decided, one waiting in the queue. */
let holds: SeededHolds | undefined;

beforeAll(async () => {
  browser = await launchBrowser();
  // With the gateway's address, so Keys shows the client snippets and the playground can call it;
  // a held stream's first keep-alive soon, so the playground shows the hold at once.
  world = await startConsoleSystem(inject('pgAdminUrl'), { advertiseGateway: true, dataPlaneEnv: { KEYWARD_HOLD_KEEPALIVE_SECONDS: '0.2' } });
  seeded = await seedOrganization(world);
  holds = await seedHeldRequests(world);
}, 120_000);

afterAll(async () => {
  holds?.cancel();
  await browser?.close();
  await world?.close();
});

/**
 * Photographs every main screen, filled with realistic data, at desktop and phone size into
 * `test-artifacts/console/` (for people to look at), and checks each renders without errors
 * without sideways scrolling on the phone, and without serious or critical accessibility violations
 * (axe-core).
 */
describe('console screenshots', () => {
  for (const [size, viewport] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ] as const) {
    it(`shows every main screen at ${size} size`, { timeout: 240_000 }, async () => {
      const tab: ConsolePage = await openConsolePage(browser, viewport);
      try {
        const { page } = tab;
        await page.goto(`${world.consoleUrl}/login`);
        await page.locator('input[name=email]').waitFor();
        await settle(page);
        await saveScreenshot(page, `${size}-sign-in`);
        await checkAccessible(page, `${size} sign-in`);
        await signIn(page, world.consoleUrl, world.operator);
        if (size === 'phone') {
          await page.locator('[data-test=open-menu]').click();
          await page.getByRole('navigation', { name: 'Main' }).waitFor();
          await settle(page);
          await saveScreenshot(page, `${size}-menu`);
          await checkAccessible(page, `${size} menu`);
          await page.keyboard.press('Escape');
          await page.locator('.n-drawer').waitFor({ state: 'hidden' });
        }

        const shoot: Shoot = async (name) => {
          await settle(page);
          await saveScreenshot(page, `${size}-${name}`);
          await checkAccessible(page, `${size} ${name}`);
        };
        for (const screen of SCREENS) {
          await openScreen(page, screen.nav, screen.title);
          await screen.ready(page, seeded);
          await settle(page);
          await shoot(screen.file);
          expect(await horizontalOverflow(page), `${screen.file} scrolls sideways at ${size} size`).toBe(0);
          if (size === 'phone') {
            // A table too wide for a phone scrolls inside itself and says so, on every screen.
            expect(await unhintedWideTables(page), `${screen.file} has tables wider than the phone without a hint`).toEqual([]);
            if (screen.file === 'keys') await expect.poll(() => swipeHintShown(page)).toBe(true);
          }
          if (screen.file === 'overview') {
            // The figures come from the rollups written as the seeded calls were stored.
            const requestsToday = page.locator('.card', { hasText: 'Requests today' }).locator('.card__value');
            expect(Number((await requestsToday.textContent())!.replace(/,/g, ''))).toBeGreaterThanOrEqual(seeded.calls);
            await page.getByRole('radio', { name: 'By key' }).check({ force: true });
            await page.locator('.chart__legend', { hasText: seeded.keyNames[1]! }).first().waitFor();
          }
          if (screen.file === 'requests-live') {
            // Tabs follow the ARIA tabs pattern: the selected tab is the tab stop, arrow keys move.
            await page.getByRole('tab', { name: 'Live', selected: true }).focus();
            await page.keyboard.press('ArrowRight');
            await expect.poll(() => page.getByRole('tab', { name: 'History' }).getAttribute('aria-selected')).toBe('true');
            await expect.poll(() => tableRows(page, seeded.keyNames[1]!).count(), { timeout: UI_TIMEOUT_MS }).toBeGreaterThan(0);
            await settle(page);
            await saveScreenshot(page, `${size}-requests-history`);
            await checkAccessible(page, `${size} requests-history`);
            await tableRows(page, seeded.keyNames[1]!).first().click();
            await page.locator('.n-drawer').waitFor();
            await settle(page);
            await saveScreenshot(page, `${size}-requests-drawer`);
            await checkAccessible(page, `${size} requests-drawer`);
            await page.keyboard.press('Escape');
            await page.locator('.n-drawer').waitFor({ state: 'hidden' });
          }
          await screen.more?.(page, seeded, shoot);
        }
        // The account page, from the user menu (in the menu drawer on a phone).
        const menuButton = page.locator('[data-test=open-menu]');
        if (await menuButton.isVisible()) await menuButton.click();
        await page.locator('[data-test=account]').click();
        await page.getByRole('heading', { level: 1, name: 'Your account' }).waitFor();
        await page.locator('.n-drawer').waitFor({ state: 'hidden' });
        await shoot('account');
        expect(tab.errors).toEqual([]);
      } finally {
        await tab.context.close();
      }
    });
  }
});

/** Checks the screen with axe-core; a soft failure, so one run lists every screen's violations. */
async function checkAccessible(page: Page, screenName: string): Promise<void> {
  await expect.soft(expectAccessible(page, screenName)).resolves.toBeUndefined();
}

/**
 * How far the policy editor's line numbers stand from their lines (the most, in whole pixels)
 * and how many numbers it shows, measured on the page (bounding boxes), not by eye.
 */
function gutterDrift(page: Page): Promise<{ numbered: number; drift: number }> {
  return page.evaluate(() => {
    const editor = document.querySelector('.cm-editor')!;
    const lines = [...editor.querySelectorAll('.cm-content .cm-line')];
    // The gutter's hidden spacer (the widest number it may need) is no line's.
    const numbers = [...editor.querySelectorAll('.cm-lineNumbers .cm-gutterElement')].filter(
      (n) => /^\d+$/.test(n.textContent ?? '') && getComputedStyle(n).visibility !== 'hidden',
    );
    const drifts = numbers.map((n) => {
      const line = lines[Number(n.textContent) - 1];
      return line ? Math.abs(line.getBoundingClientRect().top - n.getBoundingClientRect().top) : Number.POSITIVE_INFINITY;
    });
    return { numbered: numbers.length, drift: Math.round(Math.max(0, ...drifts)) };
  });
}

/** Scrolls the policy editor into view, as a person does, and checks each line number stands beside its line. */
async function expectGutterBesideLines(page: Page): Promise<void> {
  await page.locator('.cm-editor').scrollIntoViewIfNeeded();
  await expect.poll(async () => (await gutterDrift(page)).drift).toBeLessThanOrEqual(1);
  expect((await gutterDrift(page)).numbered).toBeGreaterThan(5);
}

/** Whether a data table shows the "swipe sideways" hint (a `::before` of the table, from styles.css). */
function swipeHintShown(page: Page): Promise<boolean> {
  return page.evaluate(() =>
    [...document.querySelectorAll('.n-data-table')].some((table) => getComputedStyle(table, '::before').content.includes('Swipe sideways')),
  );
}

/**
 * The column titles of each table wider than its place: a data table without the "swipe sideways"
 * hint above it, or a plain table (which should turn into cards on a phone instead).
 */
function unhintedWideTables(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const titles = (table: Element) => [...table.querySelectorAll('th')].map((th) => th.textContent?.trim()).join(' | ');
    const dataTables = [...document.querySelectorAll('.n-data-table')].filter((table) => {
      const body = table.querySelector('.n-data-table-base-table-body table');
      const wide = body !== null && body.getBoundingClientRect().width > table.getBoundingClientRect().width + 1;
      return wide && !getComputedStyle(table, '::before').content.includes('Swipe sideways');
    });
    const plainTables = [...document.querySelectorAll('table')].filter(
      (table) => !table.closest('.n-data-table') && table.parentElement !== null && table.getBoundingClientRect().width > table.parentElement.clientWidth + 1,
    );
    return [...dataTables, ...plainTables].map(titles);
  });
}

/** How many pixels the page scrolls sideways (a phone layout should not). */
function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth));
}

/** Blocks prompts that ask for a password and holds deploys for a person: the playground's refused and held turns. */
const PLAYGROUND_POLICY = `
name: No passwords
rules:
  - id: no-passwords
    when: { prompt: { contains: password } }
    action: block
  - id: deploys-need-a-human
    when: { prompt: { contains: deploy } }
    action: { type: hold, timeoutSeconds: 300, onTimeout: block }
`;

/**
 * "Try a model as this key": a member pastes a key's secret (held by the page only), picks a
 * model, and chats through the gateway, so the key's policy decides each turn; the answer
 * streams in, the request and the decision sit beside it, the turn is recorded as the key's
 * usage event, and the conversation is saved for the member, reopened and deleted.
 */
describe('the playground', () => {
  it('chats as a chosen key through the gateway, shows each decision, and saves the conversation', { timeout: 90_000 }, async () => {
    const key = await world.system.createKey({ name: 'playground-trial' });
    const policy = await world.system.owner.gql<{ createPolicy: { id: string } }>(
      'mutation($input: CreatePolicyInput!) { createPolicy(input: $input) { id } }',
      {
        input: { source: PLAYGROUND_POLICY },
      },
    );
    expect(policy.errors).toBeUndefined();
    const attached = await world.system.owner.gql('mutation($id: ID!, $key: ID!) { attachPolicy(id: $id, scope: { kind: KEY, id: $key }) { id } }', {
      id: policy.data!.createPolicy.id,
      key: key.id,
    });
    expect(attached.errors).toBeUndefined();
    await waitForKeyOnNode(world.system, key.secret);
    world.system.mock.setBehaviour({ text: 'Paris is the capital of France.', chunks: 4, intervalMs: 60 });

    const tab = await openConsolePage(browser, DESKTOP);
    try {
      const { page } = tab;
      await signIn(page, world.consoleUrl, world.operator);
      await openScreen(page, 'Playground');
      await page.locator('[data-test=playground-key] .n-base-selection').click();
      await page.locator('.n-base-select-option', { hasText: 'playground-trial' }).click();
      await page.locator('[data-test=playground-model] .n-base-selection').click();
      await page.keyboard.type('gpt-4o-mini');
      await page
        .locator('.n-base-select-option', { hasText: /^gpt-4o-mini$/ })
        .first()
        .click();
      const prompt = page.locator('[data-test=playground-prompt] textarea');
      const transcript = page.locator('[data-test=transcript]');
      const decision = page.locator('[data-test=turn-decision]');

      // A secret that is not the chosen key's never reaches the gateway.
      await page.locator('[data-test=playground-secret] input').fill(`${key.secret.slice(0, -4)}zzzz`);
      await prompt.fill('What is the capital of France?');
      await page.locator('[data-test=playground-send]').click();
      await expect.poll(() => decision.textContent()).toContain('403 SECRET_NOT_FOR_KEY');
      await expect.poll(() => prompt.inputValue()).toBe('What is the capital of France?');
      expect(await transcript.textContent()).toContain('No turns yet.');

      await page.locator('[data-test=playground-secret] input').fill(key.secret);
      await page.locator('[data-test=playground-send]').click();
      await transcript.getByText('Paris is the capital of France.').waitFor();
      await expect.poll(() => decision.textContent(), { timeout: UI_TIMEOUT_MS }).toContain('Allowed');
      expect(await page.locator('[data-test=turn-request]').textContent()).toContain('"model": "gpt-4o-mini"');

      await prompt.fill('Tell me the admin password');
      await page.keyboard.press('Enter');
      await transcript.getByText('Refused (blocked)').waitFor();
      await expect.poll(() => decision.textContent(), { timeout: UI_TIMEOUT_MS }).toContain('Blocked');
      expect(await decision.textContent()).toContain('No passwords v1, rule “no-passwords”: block');
      await settle(page);
      await saveScreenshot(page, 'desktop-playground-chat');
      await checkAccessible(page, 'desktop playground chat');

      // A held turn says so while it waits, and streams once someone approves it.
      world.system.mock.setBehaviour({ text: 'Deploy started.', chunks: 2, intervalMs: 30 });
      await prompt.fill('Please deploy the release');
      await page.keyboard.press('Enter');
      await page.locator('[data-test=turn-held]').waitFor();
      // The playground key's request, not the one the screenshots keep waiting.
      const pending = async () =>
        (
          await world.system.owner.gql<{ approvals: { nodes: { id: string; key: { name: string } }[] } }>(
            '{ approvals(filter: { status: [PENDING] }) { nodes { id key { name } } } }',
          )
        ).data?.approvals.nodes.find((a) => a.key.name === 'playground-trial')?.id;
      await expect.poll(pending).toBeTruthy();
      const approved = await world.system.owner.gql('mutation($id: ID!) { approveRequest(id: $id, reason: "release window") { id } }', {
        id: await pending(),
      });
      expect(approved.errors).toBeUndefined();
      await transcript.getByText('Deploy started.').waitFor();
      await expect.poll(() => decision.textContent(), { timeout: UI_TIMEOUT_MS }).toContain('Approved');

      // Each turn is the key's own usage event, naming the member who chatted as it.
      const events = await world.system.owner.gql<{ usageEvents: { nodes: { decision: string; keyId: string; meta: { name: string; value: string }[] }[] } }>(
        'query($f: UsageEventFilter) { usageEvents(filter: $f) { nodes { decision keyId meta { name value } } } }',
        { f: { keyId: key.id } },
      );
      const turns = (events.data?.usageEvents.nodes ?? []).filter((e) => e.meta.some((m) => m.name === 'playground-member'));
      expect(turns.map((e) => e.decision).sort()).toEqual(['ALLOWED', 'APPROVED', 'BLOCKED']);
      await page.locator('[data-test=turn-event-link]').click();
      await page.waitForURL(/\/audit\?tab=history&request=/);

      // Saved for the member; the secret was not: after a reload it has to be pasted again.
      await page.goto(`${world.consoleUrl}/playground`);
      const saved = page.locator('[data-test=saved-conversations] li');
      await saved.filter({ hasText: 'What is the capital of France?' }).locator('button').first().click();
      await transcript.getByText('Paris is the capital of France.').waitFor();
      await transcript.getByText('Refused (blocked)').waitFor();
      expect(await page.locator('[data-test=playground-secret] input').inputValue()).toBe('');
      expect((await tab.graphqlBodies()).join('\n')).not.toContain(key.secret);

      await page.getByRole('button', { name: 'Delete conversation What is the capital of France?' }).click();
      await page.getByRole('button', { name: 'Delete conversation', exact: true }).click();
      await page.getByText('None yet: your chats are saved here.').waitFor();
      const left = await world.system.cp.gql<{ playgroundConversations: { id: string }[] }>(
        '{ playgroundConversations { id } }',
        {},
        { session: world.operator.session },
      );
      expect(left.data?.playgroundConversations).toEqual([]);
      // The refusals answer 403 on purpose; chromium reports every 4xx fetch as a console error.
      expect(tab.errors.filter((e) => !e.includes('status of 403'))).toEqual([]);
    } finally {
      world.system.mock.setBehaviour(null);
      await tab.context.close();
    }
  });
});
