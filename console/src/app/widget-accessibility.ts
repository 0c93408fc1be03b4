/**
 * What Naive UI's widgets leave out for keyboard and screen-reader users, added once for the
 * whole console by watching the document:
 * - regions that scroll sideways (data tables, tab bars on phones) become named tab stops while
 *   their content overflows (WCAG 2.1.1); a table's separate header only follows its body
 *   (`styles.css`), so it is not a second tab stop;
 * - tabs get the ARIA tabs pattern: `tablist`, `tab` with `aria-selected`, `tabpanel`, one tab stop
 *   on the selected tab, arrow keys, Home and End to move, Enter or Space to select.
 * Dialogs and drawers need nothing here: Naive UI gives them `role="dialog"` and closes them on Escape.
 */
const SCROLL_REGIONS: readonly { selector: string; label: string }[] = [
  { selector: '.n-data-table-base-table-body > .n-scrollbar-container', label: 'Table, scrolls sideways' },
  { selector: '.n-tabs-nav .v-x-scroll', label: 'Tabs, scroll sideways' },
];

/** Marks a region made focusable here, so it is unmarked when it stops overflowing. */
const SCROLL_MARK = 'data-kw-scroll-region';

const TAB = '.n-tabs-tab';

/** Watches `root` for the page's lifetime (the document body: dialogs and drawers are mounted there). */
export function watchWidgetAccessibility(root: HTMLElement): void {
  let frame = 0;
  const update = () => {
    frame = 0;
    for (const region of SCROLL_REGIONS) {
      for (const el of root.querySelectorAll<HTMLElement>(region.selector)) syncScrollRegion(el, region.label);
    }
    for (const tabs of root.querySelectorAll<HTMLElement>('.n-tabs')) syncTabs(tabs);
  };
  const schedule = () => {
    if (frame === 0) frame = requestAnimationFrame(update);
  };
  // Class changes matter too: Naive UI marks the selected tab with a class.
  new MutationObserver(schedule).observe(root, { childList: true, subtree: true, attributes: true, attributeFilter: ['class'] });
  window.addEventListener('resize', schedule);
  root.addEventListener('keydown', onTabKey);
  schedule();
}

function syncScrollRegion(el: HTMLElement, label: string): void {
  const overflows = el.scrollWidth > el.clientWidth;
  if (overflows && !el.hasAttribute('tabindex')) {
    el.setAttribute('tabindex', '0');
    el.setAttribute(SCROLL_MARK, '');
    el.setAttribute('role', 'region');
    el.setAttribute('aria-label', label);
  } else if (!overflows && el.hasAttribute(SCROLL_MARK)) {
    el.removeAttribute('tabindex');
    el.removeAttribute(SCROLL_MARK);
    el.setAttribute('role', 'none');
    el.removeAttribute('aria-label');
  }
}

function syncTabs(tabs: HTMLElement): void {
  const list = tabs.querySelector<HTMLElement>(':scope > .n-tabs-nav .n-tabs-wrapper, :scope > .n-tabs-nav .n-tabs-rail');
  if (list === null) return;
  setAttr(list, 'role', 'tablist');
  for (const tab of tabsOf(list)) {
    const selected = tab.classList.contains('n-tabs-tab--active');
    setAttr(tab, 'role', 'tab');
    setAttr(tab, 'aria-selected', String(selected));
    setAttr(tab, 'tabindex', selected ? '0' : '-1');
    if (tab.classList.contains('n-tabs-tab--disabled')) setAttr(tab, 'aria-disabled', 'true');
  }
  for (const pane of tabs.querySelectorAll<HTMLElement>(':scope > .n-tab-pane, :scope > .n-tabs-pane-wrapper > .n-tab-pane')) setAttr(pane, 'role', 'tabpanel');
}

/** The tabs of a tab list; a segment bar's sliding capsule holds a copy of a tab that is only decoration. */
function tabsOf(list: HTMLElement): HTMLElement[] {
  return [...list.querySelectorAll<HTMLElement>(TAB)].filter((tab) => !tab.closest('.n-tabs-capsule'));
}

/** Sets an attribute only when it differs (a write would otherwise wake the observer again). */
function setAttr(el: HTMLElement, name: string, value: string): void {
  if (el.getAttribute(name) !== value) el.setAttribute(name, value);
}

function onTabKey(event: KeyboardEvent): void {
  const tab = event.target instanceof HTMLElement ? event.target.closest<HTMLElement>(`[role=tab]${TAB}`) : null;
  const list = tab?.closest<HTMLElement>('[role=tablist]');
  if (!tab || !list) return;
  if (event.key === 'Enter' || event.key === ' ') {
    event.preventDefault();
    tab.click();
    return;
  }
  const tabs = tabsOf(list).filter((t) => !t.classList.contains('n-tabs-tab--disabled'));
  const at = tabs.indexOf(tab);
  const next =
    event.key === 'ArrowRight'
      ? tabs[(at + 1) % tabs.length]
      : event.key === 'ArrowLeft'
        ? tabs[(at - 1 + tabs.length) % tabs.length]
        : event.key === 'Home'
          ? tabs[0]
          : event.key === 'End'
            ? tabs.at(-1)
            : undefined;
  if (!next) return;
  event.preventDefault();
  next.click();
  next.focus();
}
