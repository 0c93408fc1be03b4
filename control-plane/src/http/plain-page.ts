import type { Response } from 'express';

/** No scripts, no outside resources; forms may only post back here. */
const CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** A page's own additions: its width and extra CSS rules. */
export interface PlainPageLook {
  readonly width?: string;
  readonly style?: string;
}

/**
 * Answers with a small HTML page of the control plane's own (sign-in links, approval links,
 * SSO): no scripts, not indexed, never cached. `body` is HTML the caller built; text from
 * elsewhere goes through `escapeHtml`.
 */
export function sendPlainPage(res: Response, status: number, title: string, body: string, look: PlainPageLook = {}): void {
  res
    .status(status)
    .set({ 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': CSP })
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
        '<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">' +
        `<style>body{font:16px system-ui,sans-serif;max-width:${look.width ?? '28rem'};margin:3rem auto;padding:0 1rem}button{font:inherit;padding:.5rem 1.5rem}` +
        `th{text-align:left;padding-right:1rem;vertical-align:top}td{overflow-wrap:anywhere}${look.style ?? ''}</style>` +
        `</head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`,
    );
}

/** Text made safe to put inside HTML. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
