// Functions passed to `page.evaluate` run in the browser and are typed against the DOM.
/// <reference lib="dom" />
import axe from 'axe-core';
import type { Page } from 'playwright-core';

/** The impacts that fail a screen; "minor" and "moderate" findings are left to review. */
const FAILING_IMPACTS: ReadonlySet<string> = new Set(['serious', 'critical']);

/** One axe-core finding, as much as a person needs to find and fix it. */
interface Violation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly targets: string[];
}

/**
 * Runs axe-core (WCAG 2.x A and AA rules) over the page as it is now and throws, listing each
 * serious or critical violation with its rule id and the selectors of the offending elements.
 * axe-core is injected from the npm package (`@axe-core/playwright` would need a newer Node).
 */
export async function expectAccessible(page: Page, screenName: string): Promise<void> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: axe.source });
  const violations = await page.evaluate(async (): Promise<Violation[]> => {
    const runner = (window as unknown as { axe: typeof axe }).axe;
    const result = await runner.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact ?? null, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }));
  });
  const failing = violations.filter((v) => v.impact !== null && FAILING_IMPACTS.has(v.impact));
  if (failing.length > 0) {
    const lines = failing.map(
      (v) =>
        `  ${v.id} (${v.impact}): ${v.help}\n    ${v.targets.slice(0, 8).join('\n    ')}${v.targets.length > 8 ? `\n    … and ${v.targets.length - 8} more` : ''}`,
    );
    throw new Error(`${screenName} has ${failing.length} serious or critical accessibility violation(s):\n${lines.join('\n')}`);
  }
}
