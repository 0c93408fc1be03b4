import { GraphQLJSONObject } from 'graphql-scalars';
import { McpAccessType } from '../mcp/mcp-server.type.js';
import { Field, Float, ID, ObjectType, registerEnumType } from 'type-graphql';
import { Team } from '../teams/team.entity.js';
import type { Key } from './key.entity.js';
import type { KeySecret } from './key-secret.entity.js';
import { PageInfo } from './paging.js';
import { ResponseCacheType } from '../routing/response-cache.type.js';
import { AnomalyResponseType } from '../anomaly/anomaly.type.js';

/** A key's state as people see it: expiry is derived from the time. */
export type KeyStatus = 'active' | 'revoked' | 'expired';

export const KeyStatusEnum = { ACTIVE: 'active', REVOKED: 'revoked', EXPIRED: 'expired' } as const;
registerEnumType(KeyStatusEnum, {
  name: 'KeyStatus',
  description: 'ACTIVE keys work; REVOKED keys were revoked; EXPIRED keys passed their expiry.',
});

/** Where a key stands at `now`. */
function keyStatusOf(key: Pick<Key, 'status' | 'expiresAt'>, now = new Date()): KeyStatus {
  if (key.status === 'revoked') return 'revoked';
  if (key.expiresAt && key.expiresAt.getTime() <= now.getTime()) return 'expired';
  return 'active';
}

@ObjectType({ description: 'Totals over every usage event of a key, each event counted once.' })
export class KeyUsage {
  @Field(() => Float)
  requests!: number;

  @Field(() => Float)
  inputTokens!: number;

  @Field(() => Float)
  outputTokens!: number;

  @Field(() => Float)
  cachedInputTokens!: number;

  @Field(() => Float, { description: 'Integer micro-dollars.' })
  costMicros!: number;
}

@ObjectType({ description: 'A rotated-out secret that still works until its grace period ends.' })
export class KeyGraceSecret {
  @Field(() => String)
  prefix!: string;

  @Field(() => Date)
  graceUntil!: Date;
}

@ObjectType('Key', { description: 'A Keyward key. Its secret is shown only when created or rotated.' })
export class KeyType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String, { description: 'The person or agent the key is for.' })
  ownerLabel!: string;

  @Field(() => String, { description: 'The first characters of the current secret, to tell keys apart.' })
  prefix!: string;

  @Field(() => Team, { nullable: true })
  team!: Team | null;

  @Field(() => KeyStatusEnum)
  status!: KeyStatus;

  @Field(() => Date, { nullable: true })
  expiresAt!: Date | null;

  @Field(() => Date, { nullable: true })
  revokedAt!: Date | null;

  @Field(() => Date, { nullable: true })
  rotatedAt!: Date | null;

  @Field(() => Date, { nullable: true })
  lastUsedAt!: Date | null;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => [String], { description: 'Model globs the key may use; empty allows any.' })
  allowedModels!: string[];

  @Field(() => [ID], { description: 'Credentials the key routes to, in order; empty means any of the organization.' })
  credentialIds!: string[];

  @Field(() => GraphQLJSONObject)
  labels!: Record<string, string>;

  @Field(() => ResponseCacheType, { nullable: true, description: "The key's own response cache (wins over its route's); null: none set." })
  cache!: ResponseCacheType | null;

  @Field(() => [McpAccessType], { description: 'The MCP servers and tools the key may call; empty: none.' })
  mcpAccess!: McpAccessType[];
  @Field(() => Boolean, { description: 'Whether requests must carry a valid HDP delegation token.' })
  requireProvenance!: boolean;

  @Field(() => [KeyGraceSecret], { description: 'Rotated-out secrets still within their grace period.' })
  graceSecrets!: KeyGraceSecret[];

  @Field(() => KeyUsage)
  usage!: KeyUsage;

  @Field(() => AnomalyResponseType, { nullable: true, description: 'The key’s own anomaly response; null: its team’s, else its organization’s.' })
  anomalyResponse!: AnomalyResponseType | null;

  @Field(() => Date, { nullable: true, description: 'Set while the key is frozen after an anomaly; nodes refuse it until a person unfreezes it.' })
  frozenAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'Why it was frozen: the score and its reasons.' })
  frozenReason!: string | null;

  @Field(() => Date, { nullable: true, description: 'Set while the key’s requests are held for approval after an anomaly.' })
  heldAt!: Date | null;

  @Field(() => String, { nullable: true })
  heldReason!: string | null;
}

/** The API view of a key: never its hash. `team` must be loaded (or null). */
export function toKeyType(key: Key, graceSecrets: readonly KeySecret[], now = new Date()): KeyType {
  return {
    id: key.id,
    name: key.name,
    ownerLabel: key.ownerLabel,
    prefix: key.prefix,
    team: key.team ? key.team.getEntity() : null,
    status: keyStatusOf(key, now),
    expiresAt: key.expiresAt,
    revokedAt: key.revokedAt,
    rotatedAt: key.rotatedAt,
    lastUsedAt: key.lastUsedAt,
    createdAt: key.createdAt,
    allowedModels: key.allowedModels,
    credentialIds: key.credentialIds,
    labels: key.labels,
    cache: key.cacheTtlSeconds === null ? null : { ttlSeconds: key.cacheTtlSeconds },
    mcpAccess: key.mcpAccess.map((a) => ({ server: a.server, tools: [...a.tools] })),
    requireProvenance: key.requireProvenance,
    graceSecrets: graceSecrets.filter((s) => s.graceUntil.getTime() > now.getTime()).map((s) => ({ prefix: s.prefix, graceUntil: s.graceUntil })),
    usage: {
      requests: key.requestCount,
      inputTokens: key.inputTokens,
      outputTokens: key.outputTokens,
      cachedInputTokens: key.cachedInputTokens,
      costMicros: key.costMicros,
    },
    anomalyResponse: key.anomalyResponse,
    frozenAt: key.frozenAt,
    frozenReason: key.frozenReason,
    heldAt: key.heldAt,
    heldReason: key.heldReason,
  };
}

@ObjectType({ description: 'A new key and its secret. The secret is shown this once and cannot be read again.' })
export class CreatedKey {
  @Field(() => KeyType)
  key!: KeyType;

  @Field(() => String, { description: 'The key secret (`kw_…`). Store it now: it is never shown again.' })
  secret!: string;
}

@ObjectType({ description: 'A rotated key and its new secret, shown this once.' })
export class RotatedKey {
  @Field(() => KeyType)
  key!: KeyType;

  @Field(() => String, { description: 'The new secret. Store it now: it is never shown again.' })
  secret!: string;

  @Field(() => Date, { nullable: true, description: 'Until when the previous secret keeps working (null: it stopped now).' })
  previousSecretValidUntil!: Date | null;
}

@ObjectType({ description: 'A page of keys, newest first.' })
export class KeyConnection {
  @Field(() => [KeyType])
  nodes!: KeyType[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Float, { description: 'How many keys match the filter in all.' })
  totalCount!: number;
}
