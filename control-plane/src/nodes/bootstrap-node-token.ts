import { displayPrefix, hashSecret, parseSecret } from '@keyward/shared';
import { ConfigError } from '../config.js';
import type { Services } from '../services.js';
import { NodeToken } from './node-token.entity.js';

/** The name the environment's token is listed under. */
const BOOTSTRAP_TOKEN_NAME = 'KEYWARD_NODE_TOKEN';
/** Replicas starting together with the same variable take turns registering it. */
const BOOTSTRAP_LOCK = "select pg_advisory_xact_lock(hashtext('keyward:bootstrap-node-token'))";

/**
 * Start-up: registers the operator's `KEYWARD_NODE_TOKEN` as the global node token (serving
 * every organization), so a data plane started beside the control plane connects without any
 * API call. A previous environment token that no longer matches is revoked, so changing the
 * variable and restarting is how the operator rotates it.
 */
export async function registerBootstrapNodeToken(services: Services): Promise<void> {
  const secret = services.config.bootstrapNodeToken;
  if (secret !== null && parseSecret(secret)?.kind !== 'node_token') {
    throw new ConfigError('KEYWARD_NODE_TOKEN must be a Keyward node token (kwn_…) with a valid checksum.');
  }
  const tokenHash = secret ? hashSecret(secret, services.config.keyPepper) : null;
  const noTenant = { filters: { tenant: false } };
  await services.orm.em.fork({ clear: true }).transactional(async (em) => {
    await em.execute(BOOTSTRAP_LOCK);
    await em.nativeUpdate(
      NodeToken,
      { source: 'environment', revokedAt: null, ...(tokenHash ? { tokenHash: { $ne: tokenHash } } : {}) },
      { revokedAt: new Date() },
      noTenant,
    );
    if (!secret || !tokenHash) return;
    const existing = await em.findOne(NodeToken, { tokenHash }, noTenant);
    if (existing) {
      if (existing.source !== 'environment' || existing.organization !== null) {
        throw new ConfigError('KEYWARD_NODE_TOKEN is already registered as an organization node token; generate a new one.');
      }
      existing.revokedAt = null;
    } else {
      em.create(NodeToken, { organization: null, name: BOOTSTRAP_TOKEN_NAME, prefix: displayPrefix(secret), tokenHash, source: 'environment' });
    }
  });
  if (!secret) return;
  services.log.info({ prefix: displayPrefix(secret) }, 'global node token from KEYWARD_NODE_TOKEN registered');
}
