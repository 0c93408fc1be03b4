import { notWord, notWordOrDash, regexScanner, type Detector } from './detector.js';

/** True when `s` mixes letters and digits, as generated keys do and hyphenated words do not. */
function looksRandom(s: string): boolean {
  return /\d/.test(s) && /[A-Za-z]/.test(s);
}

/*
 * Every pattern starts with a literal so the engine can skip through text quickly; the boundary
 * before it is checked by `after` instead of a lookbehind for the same reason.
 */
/*
 * Key bodies are bounded (real keys are under 200 characters) so that text such as
 * `sk-sk-sk-…` costs a bounded amount per candidate instead of a scan to the end of the text.
 */
/** `sk-…`, `sk-proj-…`, `sk-svcacct-…`, `sk-admin-…`; Anthropic's `sk-ant-` belongs to its own detector. */
const OPENAI = /sk-(?!ant-)(?:(?:proj|svcacct|admin)-)?[A-Za-z0-9_-]{32,400}/g;
const ANTHROPIC = /sk-ant-[A-Za-z0-9_-]{32,400}/g;
/** Classic tokens are a prefix plus 36 base62 characters; fine-grained ones are far longer. */
const GITHUB = /g(?:h[pousr]_[A-Za-z0-9]{36,251}|ithub_pat_[A-Za-z0-9_]{50,251})(?!\w)/g;
const GOOGLE = /AIza[0-9A-Za-z_-]{35}(?![\w-])/g;

/** Whether a `gh?_` or `github_pat_` prefix occurs, found through the rarer `_`. */
function hasGithubPrefix(text: string): boolean {
  for (let i = text.indexOf('_', 3); i >= 0; i = text.indexOf('_', i + 1)) {
    if (text.charCodeAt(i - 3) === 103 && text.charCodeAt(i - 2) === 104 && 'pousr'.includes(text[i - 1])) return true;
    if (i >= 6 && text.startsWith('github_pat_', i - 6)) return true;
  }
  return false;
}

const acceptRandom = (_text: string, m: RegExpExecArray) => (looksRandom(m[0].slice(3)) ? m.index + m[0].length : -1);

/** OpenAI API keys (user, project, service-account and admin keys). */
export const openaiApiKey: Detector = {
  name: 'openai_api_key',
  label: 'OPENAI_KEY',
  scan: regexScanner('openai_api_key', OPENAI, { hints: ['k-'], after: notWordOrDash, accept: acceptRandom }),
};

/** Anthropic API and admin keys (`sk-ant-api03-…`, `sk-ant-admin01-…`). */
export const anthropicApiKey: Detector = {
  name: 'anthropic_api_key',
  label: 'ANTHROPIC_KEY',
  scan: regexScanner('anthropic_api_key', ANTHROPIC, { hints: ['k-ant-'], after: notWordOrDash, accept: acceptRandom }),
};

/** GitHub personal, OAuth, user-to-server, server-to-server and refresh tokens. */
export const githubToken: Detector = {
  name: 'github_token',
  label: 'GITHUB_TOKEN',
  scan: regexScanner('github_token', GITHUB, { prefilter: hasGithubPrefix, after: notWord }),
};

/** Google API keys (`AIza` plus 35 characters). */
export const googleApiKey: Detector = {
  name: 'google_api_key',
  label: 'GOOGLE_API_KEY',
  scan: regexScanner('google_api_key', GOOGLE, { hints: ['AIza'], after: notWordOrDash }),
};
