import { createLocale, enUS, type GlobalThemeOverrides } from 'naive-ui';

const FONT = "Inter, ui-sans-serif, system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";
const MONO = "'JetBrains Mono', ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace";

/** Naive UI overrides: one accent colour, neutral greys, quiet borders (matches `styles.css`). */
export const THEME_OVERRIDES: GlobalThemeOverrides = {
  common: {
    fontFamily: FONT,
    fontFamilyMono: MONO,
    fontSize: '14px',
    fontSizeMedium: '14px',
    borderRadius: '6px',
    primaryColor: '#2f5bea',
    primaryColorHover: '#4a72f0',
    primaryColorPressed: '#2449c4',
    primaryColorSuppl: '#4a72f0',
    textColorBase: '#111318',
    textColor1: '#111318',
    textColor2: '#2b2f38',
    textColor3: '#646a79',
    borderColor: '#e4e6eb',
    dividerColor: '#eceef2',
    bodyColor: '#f7f8fa',
    tableHeaderColor: '#fafbfc',
    hoverColor: '#f2f4f7',
  },
  DataTable: {
    thColor: '#fafbfc',
    thTextColor: '#646a79',
    thFontWeight: '500',
    tdColorHover: '#f8f9fb',
    borderColor: '#eceef2',
    fontSizeMedium: '13.5px',
    thPaddingMedium: '10px 14px',
    tdPaddingMedium: '11px 14px',
  },
  Menu: {
    itemHeight: '34px',
    borderRadius: '6px',
    itemColorActive: '#eef2fe',
    itemColorActiveHover: '#e6ecfd',
    itemTextColorActive: '#2449c4',
    itemIconColorActive: '#2449c4',
    itemTextColorActiveHover: '#2449c4',
    itemIconColorActiveHover: '#2449c4',
    // The sidebar's group titles: the muted text colour, which keeps 4.5:1 on white.
    groupTextColor: 'var(--kw-text-muted)',
  },
  Card: { borderColor: '#e4e6eb', paddingMedium: '20px 22px' },
  // Status tags: the text in a darker shade of its tint's colour, for a 4.5:1 contrast (styles.css).
  Tag: {
    borderRadius: '999px',
    textColorSuccess: 'var(--kw-success-text)',
    textColorWarning: 'var(--kw-warning-text)',
    textColorError: 'var(--kw-danger-text)',
    textColorInfo: 'var(--kw-info-text)',
  },
};

/**
 * English, without Naive UI's "Please Input" filler: a field with nothing useful to suggest
 * (a password, a name) stays empty rather than showing a placeholder that reads like a bug.
 */
export const LOCALE = createLocale({ Input: { placeholder: '' }, InputNumber: { placeholder: '' } }, enUS);
