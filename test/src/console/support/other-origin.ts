import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A web site on another origin (another loopback port), serving pages a test sets. */
export interface OtherOrigin {
  readonly url: string;
  /** Serves `html` at `path` from now on. */
  page(path: string, html: string): string;
  close(): Promise<void>;
}

/**
 * Starts a site on a free loopback port: another origin than the control plane, but the same
 * site (cookies with SameSite=Lax still travel), which is the hardest case for a CSRF check.
 */
export async function startOtherOrigin(): Promise<OtherOrigin> {
  const pages = new Map<string, string>();
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    // The browser asks every site for its icon; an empty answer keeps its console quiet.
    if (path === '/favicon.ico') return void res.writeHead(204).end();
    const html = pages.get(path);
    if (html === undefined) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    page(path, html) {
      pages.set(path, html);
      return `${url}${path}`;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A page that posts a form to `action` as soon as it loads, as a cross-site attack would. */
export function autoSubmittingForm(action: string, fields: Record<string, string>): string {
  const inputs = Object.entries(fields)
    .map(([name, value]) => `<input type="hidden" name="${escapeAttribute(name)}" value="${escapeAttribute(value)}">`)
    .join('');
  return `<!doctype html><html><body><form method="post" action="${escapeAttribute(action)}">${inputs}</form><script>document.forms[0].submit()</script></body></html>`;
}

function escapeAttribute(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
