import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import express, { type Express } from 'express';

/**
 * Serves the built console at `/` with a fallback to `index.html` for client-side routes.
 * API paths are never shadowed: the fallback only answers GETs that accept HTML.
 */
export function serveConsole(app: Express, dir: string | null): void {
  if (!dir) return;
  const root = resolve(dir);
  const index = join(root, 'index.html');
  if (!existsSync(index)) return;
  app.use(express.static(root, { index: false, maxAge: '1h', setHeaders: noCacheForHtml }));
  app.get(/^\/(?!graphql|healthz|readyz|v1\/).*/, (req, res, next) => {
    if (!req.accepts('html')) return next();
    res.setHeader('cache-control', 'no-cache');
    res.sendFile(index);
  });
}

function noCacheForHtml(res: import('node:http').ServerResponse, path: string): void {
  if (path.endsWith('.html')) res.setHeader('cache-control', 'no-cache');
}
