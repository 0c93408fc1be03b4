/**
 * Validators for everything that crosses between the planes, in the manner of graphql-ws's
 * `validateMessage`: hand-written, allocation-free on success, and on failure one `WireError`
 * sentence naming the field path (`config delta "changed.keys.ab12.allowedModels[1]" must be a
 * string`). Both sides run every message through these before trusting it.
 *
 * Unknown fields inside entries are ignored, so a newer control plane can add a field without
 * breaking older nodes; unknown collections are refused, because a node cannot enforce config
 * it has nowhere to keep.
 */
import { hdpPublicKeyProblem, type HdpTrustedKey } from '../provenance/keys.js';
import {
  COLLECTION_NAMES,
  PROVIDER_KINDS,
  type CollectionName,
  type ConfigCollections,
  type ConfigDelta,
  type ConfigMessage,
  type ConfigSnapshot,
  type BudgetConfig,
  type BudgetSpendSeed,
  type UnpricedModelsPolicy,
  UNPRICED_MODEL_MODES,
  type CredentialConfig,
  type KeyConfig,
  type PolicyConfig,
  type RateLimitConfig,
  type ScopeRef,
  type LimitScopeRef,
  type ModelPriceEntry,
  type OrgConfig,
  type SealedSecret,
} from './config.js';
import type { EventBatch, UsageEvent } from './events.js';
import { checkAnomalyBaseline } from '../anomaly/check-baseline.js';
import { ANOMALY_ACTIONS } from '../anomaly/actions.js';
import {
  checkCacheSettings,
  checkRoleFields,
  checkRouteDocument,
  type CacheSettings,
  type RoleConfig,
  type RouteConfig,
  type RouteDocument,
} from './routes.js';
import { checkUsageEventFields } from './event-fields.js';
import { checkMcpAccess, checkMcpServerFields, checkMcpToolSettings, type McpAccess, type McpServerConfig, type McpToolSettings } from './mcp.js';
import { validatePolicyDocument } from '../policy/validate.js';
import {
  arrayOf,
  base64,
  boolean,
  child,
  count,
  FieldError,
  hex,
  httpUrl,
  integerIn,
  isoDateTime,
  item,
  nonEmptyString,
  nullable,
  object,
  oneOf,
  recordOf,
  string,
  timeZone,
  uuid,
} from './field-checks.js';

/** A message between the planes is malformed; the message is one sentence naming the field. */
export class WireError extends Error {
  override name = 'WireError';
  constructor(
    message: string,
    /** The field at fault, e.g. `targets[1].weight`, when one is. */
    readonly path: string | null = null,
  ) {
    super(message);
  }
}

/** A budget period key: a local day, ISO week, month, or `lifetime`. */
const PERIOD_KEY = /^(?:\d{4}-\d{2}-\d{2}|\d{4}-W\d{2}|\d{4}-\d{2}|lifetime)$/;

/** Validates a config snapshot or delta received from the control plane. */
export function validateConfigMessage(val: unknown): ConfigMessage {
  const type = (val as { type?: unknown } | null)?.type;
  if (type === 'snapshot') return run('config snapshot', () => snapshot(val));
  if (type === 'delta') return run('config delta', () => delta(val));
  if (typeof val !== 'object' || val === null || Array.isArray(val)) throw new WireError('config message must be an object');
  throw new WireError('config message "type" must be "snapshot" or "delta"');
}

/** Validates a batch of usage events sent by a data-plane node. */
export function validateEventBatch(val: unknown): EventBatch {
  return run('event batch', () => {
    const batch = object(val, '');
    oneOf(batch.type, 'type', ['events'] as const);
    nonEmptyString(batch.nodeId, 'nodeId');
    arrayOf(batch.events, 'events', usageEvent);
    return val as EventBatch;
  });
}

/** Validates one usage event on its own (e.g. a line read back from a node's spool). */
export function validateUsageEvent(val: unknown): UsageEvent {
  return run('usage event', () => usageEvent(val, ''));
}

/** Validates a route's document as saved; the message names the field (`route "targets[1].weight" must be …`). */
export function validateRouteDocument(val: unknown): RouteDocument {
  return run('route', () => checkRouteDocument(val, ''));
}

/** Validates a route's or key's response cache setting as the control plane receives it (null: off). */
export function validateCacheSettings(val: unknown): CacheSettings | null {
  return run('cache', () => checkCacheSettings(val, ''));
}

/** Validates a key's MCP access list as the control plane receives it. */
export function validateMcpAccess(val: unknown): readonly McpAccess[] {
  return run('mcpAccess', () => checkMcpAccess(val, ''));
}

/** Validates an MCP server's tool settings as the control plane stores them, with the same rules nodes apply. */
export function validateMcpToolSettings(val: unknown): readonly McpToolSettings[] {
  return run('tools', () => checkMcpToolSettings(val, ''));
}

function run<T>(what: string, validate: () => T): T {
  try {
    return validate();
  } catch (err) {
    if (!(err instanceof FieldError)) throw err;
    if (err.path === '') throw new WireError(`${what} ${err.expectation}`);
    throw new WireError(`${what} "${err.path}" ${err.expectation}`, err.path);
  }
}

/**
 * Collections added to the contract after its first release: a snapshot without them (from an
 * older control plane, or a node's last-known-good file written before) has none of them.
 */
const ADDED_COLLECTIONS: readonly CollectionName[] = ['routes', 'roles', 'mcpServers'];

function snapshot(val: unknown): ConfigSnapshot {
  const message = object(val, '');
  count(message.version, 'version');
  isoDateTime(message.generatedAt, 'generatedAt');
  for (const name of ADDED_COLLECTIONS) message[name] ??= {};
  for (const name of COLLECTION_NAMES) collection(name, message[name], name);
  return val as ConfigSnapshot;
}

function delta(val: unknown): ConfigDelta {
  const message = object(val, '');
  const fromVersion = count(message.fromVersion, 'fromVersion');
  const version = count(message.version, 'version');
  isoDateTime(message.generatedAt, 'generatedAt');

  const changed = object(message.changed, 'changed');
  const removedMap = object(message.removed, 'removed');
  // An empty delta at the node's own version confirms a resumed node is current; any other must advance.
  const empty =
    Object.values(changed).every((c) => Object.keys(c ?? {}).length === 0) && Object.values(removedMap).every((r) => Array.isArray(r) && r.length === 0);
  if (version < fromVersion || (version === fromVersion && !empty)) throw new FieldError('version', 'must be greater than "fromVersion"');
  for (const name of Object.keys(changed)) collection(collectionName(name, 'changed'), changed[name], child('changed', name));

  const removed = removedMap;
  for (const name of Object.keys(removed)) {
    const path = child('removed', collectionName(name, 'removed'));
    const ids = arrayOf(removed[name], path, nonEmptyString);
    const changedHere = changed[name] as Record<string, unknown> | undefined;
    ids.forEach((id, i) => {
      if (changedHere && Object.hasOwn(changedHere, id)) throw new FieldError(item(path, i), `is also in "${child('changed', name)}"`);
    });
  }
  return val as ConfigDelta;
}

function collectionName(name: string, parent: string): CollectionName {
  if ((COLLECTION_NAMES as readonly string[]).includes(name)) return name as CollectionName;
  throw new FieldError(child(parent, name), `is not a known collection (expected ${COLLECTION_NAMES.join(', ')})`);
}

type EntryCheck<K extends CollectionName> = (value: unknown, path: string, mapKey: string) => ConfigCollections[K][string];

/** One entry validator per collection: adding a collection to the contract fails to compile until it has one. */
const ENTRY_CHECKS: { readonly [K in CollectionName]: EntryCheck<K> } = {
  orgs: orgConfig,
  keys: keyConfig,
  credentials: credentialConfig,
  policies: policyConfig,
  budgets: budgetConfig,
  rateLimits: rateLimitConfig,
  routes: routeConfig,
  roles: roleConfig,
  mcpServers: mcpServerConfig,
};

function collection(name: CollectionName, value: unknown, path: string): void {
  recordOf<unknown>(value, path, ENTRY_CHECKS[name]);
}

function sameAsMapKey(value: string, mapKey: string, path: string): void {
  if (value !== mapKey) throw new FieldError(path, 'must equal its map key');
}

function orgConfig(value: unknown, path: string, mapKey: string): OrgConfig {
  const org = object(value, path);
  sameAsMapKey(uuid(org.id, child(path, 'id')), mapKey, child(path, 'id'));
  oneOf(org.plan, child(path, 'plan'), ['free', 'pro', 'enterprise'] as const);
  timeZone(org.timeZone, child(path, 'timeZone'));
  boolean(org.contentCapture, child(path, 'contentCapture'));
  oneOf(org.limiterFailMode, child(path, 'limiterFailMode'), ['closed', 'open'] as const);
  arrayOf(org.customModels, child(path, 'customModels'), modelPriceEntry);
  if (org.unpricedModels !== undefined) unpricedModelsPolicy(org.unpricedModels, child(path, 'unpricedModels'));
  if (org.anomalyBaseline != null) checkAnomalyBaseline(org.anomalyBaseline, child(path, 'anomalyBaseline'));
  if (org.hdpTrustedKeys !== undefined) arrayOf(org.hdpTrustedKeys, child(path, 'hdpTrustedKeys'), hdpTrustedKey);
  return org as unknown as OrgConfig;
}

function hdpTrustedKey(value: unknown, path: string): HdpTrustedKey {
  const key = object(value, path);
  nonEmptyString(key.kid, child(path, 'kid'));
  const problem = hdpPublicKeyProblem(string(key.publicKey, child(path, 'publicKey')));
  if (problem) throw new FieldError(child(path, 'publicKey'), problem);
  if (key.agentId !== undefined) nullable(key.agentId, child(path, 'agentId'), nonEmptyString);
  return key as unknown as HdpTrustedKey;
}

function modelPriceEntry(value: unknown, path: string): ModelPriceEntry {
  const entry = object(value, path);
  nonEmptyString(entry.model, child(path, 'model'));
  oneOf(entry.provider, child(path, 'provider'), PROVIDER_KINDS);
  count(entry.inputPerMTok, child(path, 'inputPerMTok'));
  count(entry.outputPerMTok, child(path, 'outputPerMTok'));
  count(entry.cachedInputPerMTok, child(path, 'cachedInputPerMTok'));
  return entry as unknown as ModelPriceEntry;
}

function keyConfig(value: unknown, path: string, mapKey: string): KeyConfig {
  const key = object(value, path);
  uuid(key.id, child(path, 'id'));
  uuid(key.orgId, child(path, 'orgId'));
  // Keys are looked up by the hash of the presented secret, so the map is keyed by hash, not id.
  sameAsMapKey(hex(key.hash, child(path, 'hash'), 64), mapKey, child(path, 'hash'));
  nonEmptyString(key.prefix, child(path, 'prefix'));
  string(key.name, child(path, 'name'));
  string(key.ownerLabel, child(path, 'ownerLabel'));
  nullable(key.teamId, child(path, 'teamId'), uuid);
  oneOf(key.status, child(path, 'status'), ['active', 'revoked'] as const);
  nullable(key.expiresAt, child(path, 'expiresAt'), isoDateTime);
  nullable(key.graceUntil, child(path, 'graceUntil'), isoDateTime);
  arrayOf(key.allowedModels, child(path, 'allowedModels'), nonEmptyString);
  arrayOf(key.credentialIds, child(path, 'credentialIds'), uuid);
  recordOf(key.labels, child(path, 'labels'), string);
  checkCacheSettings(key.cache, child(path, 'cache'));
  if (key.poolId !== undefined) nullable(key.poolId, child(path, 'poolId'), uuid);
  if (key.paused !== undefined) boolean(key.paused, child(path, 'paused'));
  if (key.anomalyBaseline != null) checkAnomalyBaseline(key.anomalyBaseline, child(path, 'anomalyBaseline'));
  if (key.anomalyResponse !== undefined) {
    const response = object(key.anomalyResponse, child(path, 'anomalyResponse'));
    oneOf(response.action, child(child(path, 'anomalyResponse'), 'action'), ANOMALY_ACTIONS);
    integerIn(response.threshold, child(child(path, 'anomalyResponse'), 'threshold'), 1, 100);
  }
  for (const name of ['frozen', 'held'] as const) {
    if (key[name] === undefined) continue;
    const stop = object(key[name], child(path, name));
    isoDateTime(stop.at, child(child(path, name), 'at'));
    string(stop.reason, child(child(path, name), 'reason'));
  }
  if (key.releasedAt !== undefined) isoDateTime(key.releasedAt, child(path, 'releasedAt'));
  if (key.mcpAccess !== undefined) checkMcpAccess(key.mcpAccess, child(path, 'mcpAccess'));
  if (key.requireProvenance !== undefined) boolean(key.requireProvenance, child(path, 'requireProvenance'));
  return key as unknown as KeyConfig;
}

function credentialConfig(value: unknown, path: string, mapKey: string): CredentialConfig {
  const credential = object(value, path);
  sameAsMapKey(uuid(credential.id, child(path, 'id')), mapKey, child(path, 'id'));
  uuid(credential.orgId, child(path, 'orgId'));
  const provider = oneOf(credential.provider, child(path, 'provider'), PROVIDER_KINDS);
  string(credential.name, child(path, 'name'));
  const baseUrl = nullable(credential.baseUrl, child(path, 'baseUrl'), httpUrl);
  if (provider === 'openai_compatible' && baseUrl === null) {
    throw new FieldError(child(path, 'baseUrl'), 'must be set for an openai_compatible provider');
  }
  arrayOf(credential.models, child(path, 'models'), nonEmptyString);
  sealedSecret(credential.secret, child(path, 'secret'));
  count(credential.secretVersion, child(path, 'secretVersion'));
  return credential as unknown as CredentialConfig;
}

function scopeRef(value: unknown, path: string): ScopeRef {
  const scope = object(value, path);
  oneOf(scope.kind, child(path, 'kind'), ['org', 'team', 'key'] as const);
  uuid(scope.id, child(path, 'id'));
  return scope as unknown as ScopeRef;
}

function limitScopeRef(value: unknown, path: string): LimitScopeRef {
  const scope = object(value, path);
  oneOf(scope.kind, child(path, 'kind'), ['org', 'team', 'key', 'pool'] as const);
  uuid(scope.id, child(path, 'id'));
  return scope as unknown as LimitScopeRef;
}

function policyConfig(value: unknown, path: string, mapKey: string): PolicyConfig {
  const policy = object(value, path);
  sameAsMapKey(uuid(policy.id, child(path, 'id')), mapKey, child(path, 'id'));
  uuid(policy.orgId, child(path, 'orgId'));
  nonEmptyString(policy.name, child(path, 'name'));
  count(policy.version, child(path, 'version'));
  boolean(policy.enabled, child(path, 'enabled'));
  arrayOf(policy.attachments, child(path, 'attachments'), scopeRef);
  const checked = validatePolicyDocument(policy.document);
  if (!checked.ok) {
    const first = checked.errors[0];
    throw new FieldError(child(path, 'document'), `is not a valid policy: ${first ? first.message : 'unknown error'}`);
  }
  return policy as unknown as PolicyConfig;
}

function spendSeed(value: unknown, path: string): BudgetSpendSeed {
  const seed = object(value, path);
  const key = string(seed.periodKey, child(path, 'periodKey'));
  if (!PERIOD_KEY.test(key)) throw new FieldError(child(path, 'periodKey'), 'must be a day, ISO week, month or "lifetime"');
  count(seed.spentMicros, child(path, 'spentMicros'));
  return seed as unknown as BudgetSpendSeed;
}

function unpricedModelsPolicy(value: unknown, path: string): UnpricedModelsPolicy {
  const policy = object(value, path);
  const mode = oneOf(policy.mode, child(path, 'mode'), UNPRICED_MODEL_MODES);
  if (mode === 'charge') {
    count(policy.inputPerMTok, child(path, 'inputPerMTok'));
    count(policy.outputPerMTok, child(path, 'outputPerMTok'));
  }
  return policy as unknown as UnpricedModelsPolicy;
}

function budgetConfig(value: unknown, path: string, mapKey: string): BudgetConfig {
  const budget = object(value, path);
  sameAsMapKey(uuid(budget.id, child(path, 'id')), mapKey, child(path, 'id'));
  uuid(budget.orgId, child(path, 'orgId'));
  limitScopeRef(budget.scope, child(path, 'scope'));
  oneOf(budget.period, child(path, 'period'), ['day', 'week', 'month', 'lifetime'] as const);
  count(budget.limitMicros, child(path, 'limitMicros'));
  oneOf(budget.action, child(path, 'action'), ['block', 'hold'] as const);
  arrayOf(budget.alertThresholds, child(path, 'alertThresholds'), (v, p) => integerIn(v, p, 1, 1000));
  if (budget.name !== undefined) string(budget.name, child(path, 'name'));
  if (budget.spend !== undefined) nullable(budget.spend, child(path, 'spend'), spendSeed);
  return budget as unknown as BudgetConfig;
}

function rateLimitConfig(value: unknown, path: string, mapKey: string): RateLimitConfig {
  const limit = object(value, path);
  sameAsMapKey(uuid(limit.id, child(path, 'id')), mapKey, child(path, 'id'));
  uuid(limit.orgId, child(path, 'orgId'));
  limitScopeRef(limit.scope, child(path, 'scope'));
  for (const field of ['requestsPerMinute', 'tokensPerMinute', 'concurrentRequests'] as const) {
    if (limit[field] !== undefined) integerIn(limit[field], child(path, field), 1, Number.MAX_SAFE_INTEGER);
  }
  return limit as unknown as RateLimitConfig;
}

function routeConfig(value: unknown, path: string, mapKey: string): RouteConfig {
  const route = object(value, path);
  sameAsMapKey(uuid(route.id, child(path, 'id')), mapKey, child(path, 'id'));
  uuid(route.orgId, child(path, 'orgId'));
  count(route.version, child(path, 'version'));
  arrayOf(route.attachments, child(path, 'attachments'), scopeRef);
  checkRouteDocument(route, path);
  return route as unknown as RouteConfig;
}

function roleConfig(value: unknown, path: string, mapKey: string): RoleConfig {
  const role = object(value, path);
  sameAsMapKey(uuid(role.id, child(path, 'id')), mapKey, child(path, 'id'));
  uuid(role.orgId, child(path, 'orgId'));
  checkRoleFields(role, path);
  return role as unknown as RoleConfig;
}

function mcpServerConfig(value: unknown, path: string, mapKey: string): McpServerConfig {
  const server = checkMcpServerFields(value, path, sealedSecret);
  sameAsMapKey(server.id, mapKey, child(path, 'id'));
  return server;
}

function sealedSecret(value: unknown, path: string): SealedSecret {
  const sealed = object(value, path);
  nonEmptyString(sealed.kekId, child(path, 'kekId'));
  base64(sealed.wrappedKey, child(path, 'wrappedKey'));
  base64(sealed.iv, child(path, 'iv'), 12);
  // An empty secret encrypts to an empty ciphertext, so only the alphabet is checked here.
  if (sealed.ciphertext !== '') base64(sealed.ciphertext, child(path, 'ciphertext'));
  base64(sealed.tag, child(path, 'tag'), 16);
  return sealed as unknown as SealedSecret;
}

function usageEvent(value: unknown, path: string): UsageEvent {
  checkUsageEventFields(object(value, path), path);
  return value as UsageEvent;
}
