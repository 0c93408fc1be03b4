import type { EntityManager } from '@mikro-orm/postgresql';
import { AUDIT_CHAIN, USAGE_CHAIN } from '../audit-chain/chain-kinds.js';
import { sqlRows } from '../config-publish/sql.js';

/** Which version of the archive's layout `personalData` writes. */
const PERSONAL_DATA_FORMAT = 'keyward-personal-data v1';

/**
 * Everything Keyward holds about one person, in every organization, as plain JSON: the profile,
 * memberships, unexpired and expired sessions, API tokens' metadata (never their hashes), the
 * audit entries they wrote (as themself or through their tokens), the keys issued to them (a
 * key's owner is the person whose email is its `ownerLabel`) and those keys' usage events, each
 * as the audit trail's canonical row, and their playground conversations. Raw statements on purpose: they cross organizations, and
 * each names the person itself.
 */
export async function personalData(em: EntityManager, userId: string): Promise<Record<string, unknown>> {
  const [profile] = await sqlRows<{ email: string }>(
    em,
    `select id, email, name, created_at as "createdAt", password_hash is not null as "hasPassword" from users where id = ?`,
    [userId],
  );
  const memberships = await sqlRows(
    em,
    `select m.id, m.organization_id as "orgId", o.name as "organizationName", m.role, m.created_at as "createdAt"
       from memberships m join organizations o on o.id = m.organization_id where m.user_id = ? order by m.created_at`,
    [userId],
  );
  const sessions = await sqlRows(
    em,
    `select id, created_at as "createdAt", authenticated_at as "authenticatedAt", last_seen_at as "lastSeenAt", expires_at as "expiresAt",
            user_agent as "userAgent", ip_hash as "ipHash", active_organization_id as "activeOrgId"
       from sessions where user_id = ? order by created_at`,
    [userId],
  );
  const apiTokens = await sqlRows<{ id: string }>(
    em,
    `select id, organization_id as "orgId", name, prefix, role, created_at as "createdAt", last_used_at as "lastUsedAt",
            expires_at as "expiresAt", revoked_at as "revokedAt"
       from api_tokens where created_by_id = ? order by created_at`,
    [userId],
  );
  const actors = [`user:${userId}`, ...apiTokens.map((t) => `token:${t.id}`)];
  const auditEntries = await sqlRows(em, `select ${AUDIT_CHAIN.selectList('t')} from audit_entries t where t.actor = any(?) order by t.created_at, t.id`, [
    actors,
  ]);
  const keys = await sqlRows<{ id: string }>(
    em,
    `select id, organization_id as "orgId", name, owner_label as "ownerLabel", prefix, status, created_at as "createdAt",
            expires_at as "expiresAt", revoked_at as "revokedAt", last_used_at as "lastUsedAt", request_count as "requestCount",
            input_tokens as "inputTokens", output_tokens as "outputTokens", cost_micros as "costMicros"
       from keys where lower(owner_label) = lower(?) order by created_at`,
    [profile?.email ?? ''],
  );
  const usageEvents = await sqlRows(em, `select ${USAGE_CHAIN.selectList('t')} from usage_events t where t.key_id = any(?) order by t.started_at, t.id`, [
    keys.map((k) => k.id),
  ]);
  const playgroundConversations = await sqlRows(
    em,
    `select id, organization_id as "orgId", key_id as "keyId", model, title, messages, created_at as "createdAt", updated_at as "updatedAt"
       from playground_conversations where user_id = ? order by created_at`,
    [userId],
  );
  return {
    format: PERSONAL_DATA_FORMAT,
    exportedAt: new Date().toISOString(),
    profile: profile ?? null,
    memberships,
    sessions,
    apiTokens,
    auditEntries: auditEntries.map((row) => AUDIT_CHAIN.canonicalRow(row)),
    keys,
    usageEvents: usageEvents.map((row) => USAGE_CHAIN.canonicalRow(row)),
    playgroundConversations,
  };
}
