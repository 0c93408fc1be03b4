/**
 * What Naive UI's widgets leave out for keyboard and screen-reader users, added once for the
 * whole console by watching the document:
 * - regions that scroll sideways (data tables, tab bars and code editors on phones) become named tab stops while
 *   their content overflows (WCAG 2.1.1); a table's separate header only follows its body
 *   (`styles.css`), so it is not a second tab stop;
 * - tabs get the ARIA tabs pattern: `tablist`, `tab` with `aria-selected`, `tabpanel`, one tab stop
 *   on the selected tab, arrow keys, Home and End to move, Enter or Space to select.
 * - a card's title (a card dialog's, above all) is one level-2 heading: Naive UI marks both the
 *   header and the title inside it `role="heading"` without a level; the header becomes a plain box;
 * - a dialog is named by its title (`aria-labelledby`).
 * Naive UI gives dialogs and drawers `role="dialog"`, keeps focus inside while open and closes them on Escape.
 */
const SCROLL_REGIONS: readonly { selector: string; label: string }[] = [
  { selector: '.n-data-table-base-table-body > .n-scrollbar-container', label: 'Table, scrolls sideways' },
  { selector: '.n-tabs-nav .v-x-scroll', label: 'Tabs, scroll sideways' },
  { selector: '.cm-scroller', label: 'Code, scrolls sideways' },
];

/**
 * Marks a region made focusable here, so it is unmarked when it stops overflowing; its value is the
 * `tabindex` the region had before (CodeMirror gives its scroller -1), put back then.
 */
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
    for (const header of root.querySelectorAll<HTMLElement>('.n-card-header')) syncCardHeader(header);
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
  const before = el.getAttribute('tabindex');
  if (overflows && !el.hasAttribute(SCROLL_MARK) && (before === null || before === '-1')) {
    el.setAttribute('tabindex', '0');
    el.setAttribute(SCROLL_MARK, before ?? '');
    el.setAttribute('role', 'region');
    el.setAttribute('aria-label', label);
  } else if (!overflows && el.hasAttribute(SCROLL_MARK)) {
    const previous = el.getAttribute(SCROLL_MARK);
    if (previous) el.setAttribute('tabindex', previous);
    else el.removeAttribute('tabindex');
    el.removeAttribute(SCROLL_MARK);
    el.setAttribute('role', 'none');
    el.removeAttribute('aria-label');
  }
}

let titles = 0;

function syncCardHeader(header: HTMLElement): void {
  setAttr(header, 'role', 'none');
  const title = header.querySelector<HTMLElement>(':scope > .n-card-header__main');
  if (title === null) return;
  setAttr(title, 'aria-level', '2');
  const dialog = header.closest<HTMLElement>('[role="dialog"]');
  if (dialog === null || dialog.hasAttribute('aria-labelledby') || dialog.hasAttribute('aria-label')) return;
  if (!title.id) title.id = `kw-dialog-title-${++titles}`;
  dialog.setAttribute('aria-labelledby', title.id);
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
