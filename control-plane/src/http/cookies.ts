import { parse, serialize } from 'cookie';
import type { Request, Response } from 'express';
import type { CookieJar } from '../graphql/context.js';

/** Cookie access for one HTTP exchange. Cookies are httpOnly, SameSite=Lax, Secure on https. */
export function cookieJarFor(req: Request, res: Response, secure: boolean): CookieJar {
  const parsed = parse(req.headers.cookie ?? '');
  return {
    get: (name) => parsed[name],
    set(name, value, { maxAgeSeconds }) {
      res.append('Set-Cookie', serialize(name, value, { httpOnly: true, sameSite: 'lax', secure, path: '/', maxAge: maxAgeSeconds }));
    },
    clear(name) {
      res.append('Set-Cookie', serialize(name, '', { httpOnly: true, sameSite: 'lax', secure, path: '/', maxAge: 0 }));
    },
  };
}

/** Reads one cookie from a raw Cookie header (WebSocket upgrades have no Express helpers). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  return parse(header ?? '')[name];
}
