import { readFileSync } from 'node:fs';

/** The data plane's own version, from its package.json (one directory above both `src` and `dist`). */
export const SOFTWARE_VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
})();
