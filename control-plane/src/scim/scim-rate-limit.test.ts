import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadControlPlaneConfig } from '../config.js';
import { createOrgWithOwner, expectNoSecretsInLogs, expectOk, startPlane } from '../testing/fixtures.js';
import type { TestControlPlane } from '../testing/test-control-plane.js';

const LIMIT = 5;

describe('SCIM rate limit', () => {
  let cp: TestControlPlane;
  const secrets: string[] = [];

  beforeAll(async () => {
    cp = await startPlane({ KEYWARD_SCIM_REQUESTS_PER_MINUTE: String(LIMIT) });
  });

  afterAll(async () => {
    if (!cp) return;
    expectNoSecretsInLogs(cp, secrets);
    await cp.close();
  });

  async function scimToken(): Promise<string> {
    const org = await createOrgWithOwner(cp);
    secrets.push(org.owner.password, org.owner.session);
    const created = await cp.gql<{ createScimToken: { secret: string } }>(
      'mutation($name: String!) { createScimToken(name: $name) { secret } }',
      { name: 'Entra' },
      { session: org.owner.session },
    );
    expectOk(created);
    secrets.push(created.data!.createScimToken.secret);
    return created.data!.createScimToken.secret;
  }

  const listUsers = (token: string) => fetch(`${cp.url}/scim/v2/Users`, { headers: { accept: 'application/scim+json', authorization: `Bearer ${token}` } });

  it('answers a token past its requests per minute with 429, a SCIM error body and Retry-After; other tokens carry on', async () => {
    const token = await scimToken();
    for (let i = 0; i < LIMIT; i++) expect((await listUsers(token)).status).toBe(200);
    const refused = await listUsers(token);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toMatch(/^application\/scim\+json/);
    const body = (await refused.json()) as { detail: string };
    expect(body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '429', scimType: 'tooMany' });
    const seconds = Number(/try again in (\d+) seconds\.$/.exec(body.detail)?.[1]);
    expect(seconds).toBeGreaterThanOrEqual(1);
    expect(seconds).toBeLessThanOrEqual(60);
    expect(refused.headers.get('retry-after')).toBe(String(seconds));
    expect(JSON.stringify(body)).not.toContain(token);

    expect((await listUsers(await scimToken())).status).toBe(200);
  });

  it('refuses a limit that is not a whole number in range, in one sentence', () => {
    const env = {
      KEYWARD_KEY_PEPPER: randomBytes(32).toString('base64'),
      KEYWARD_HASH_SALT: randomBytes(32).toString('base64'),
      KEYWARD_SCIM_REQUESTS_PER_MINUTE: '0',
    };
    expect(() => loadControlPlaneConfig(env)).toThrow('KEYWARD_SCIM_REQUESTS_PER_MINUTE must be a whole number from 1 to 100000, not "0".');
  });
});
