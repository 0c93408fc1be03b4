/**
 * What may be shown of a URL that can hold a token (in its path like Slack, Discord and Teams
 * webhooks, in its query, or as a user name): its scheme and host, the rest masked, e.g.
 * `https://hooks.example.com/…`. Not a URL at all: `…`.
 */
export function maskedUrl(url: string): string {
  if (!URL.canParse(url)) return '…';
  const parsed = new URL(url);
  const rest = parsed.pathname !== '/' || parsed.search !== '' || parsed.username !== '' || parsed.hash !== '';
  return `${parsed.protocol}//${parsed.host}/${rest ? '…' : ''}`;
}
