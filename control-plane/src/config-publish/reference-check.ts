import { checkBaseUrl, validateConfigMessage, type ConfigCollections } from '@keyward/shared';
import type { CompiledOrg } from './compile.js';
import { checkRoutes } from './route-check.js';

/**
 * Checks that one organization's compiled config is consistent before it may be published:
 * every key's credentials exist in the same organization, every team exists there, every
 * custom base URL is still allowed, and the whole thing passes the wire validator nodes run.
 * Returns one sentence per problem (empty when the config may be published).
 */
export function checkReferences(orgId: string, compiled: CompiledOrg, options: { allowLoopback: boolean }): string[] {
  const problems: string[] = [];
  const { collections, facts } = compiled;
  const credentials = collections.credentials;
  const seenKeys = new Set<string>();

  for (const key of Object.values(collections.keys)) {
    if (key.graceUntil !== null || seenKeys.has(key.id)) continue; // a rotated-out secret repeats its key's references
    seenKeys.add(key.id);
    const label = `key "${key.name}" (${key.prefix})`;
    if (key.orgId !== orgId) problems.push(`${label} belongs to another organization.`);
    for (const credentialId of key.credentialIds) {
      const credential = credentials[credentialId];
      if (!credential) problems.push(`${label} routes to credential ${credentialId}, which does not exist in this organization.`);
      else if (credential.orgId !== orgId) problems.push(`${label} routes to credential ${credentialId}, which belongs to another organization.`);
    }
    if (key.teamId !== null) {
      const teamOrg = facts.teamOrgOfKey.get(key.id);
      if (!teamOrg) problems.push(`${label} belongs to team ${key.teamId}, which does not exist.`);
      else if (teamOrg !== orgId) problems.push(`${label} belongs to team ${key.teamId}, which is in another organization.`);
    }
  }

  for (const credential of Object.values(credentials)) {
    const label = `credential "${credential.name}" (${credential.id})`;
    if (credential.provider === 'openai_compatible' && !credential.baseUrl) {
      problems.push(`${label} is OpenAI-compatible but has no base URL.`);
    }
    if (credential.baseUrl) {
      try {
        checkBaseUrl(credential.baseUrl, { allowLoopback: options.allowLoopback });
      } catch (error) {
        problems.push(`${label} has a base URL that is no longer allowed: ${(error as Error).message}.`);
      }
    }
  }

  problems.push(...checkRoutes(orgId, collections));

  if (problems.length === 0) {
    try {
      validateConfigMessage(snapshotOf(collections));
    } catch (error) {
      problems.push(`the compiled config is malformed: ${(error as Error).message}.`);
    }
  }
  return problems;
}

function snapshotOf(collections: ConfigCollections) {
  return { type: 'snapshot' as const, version: 0, generatedAt: new Date().toISOString(), ...collections };
}
