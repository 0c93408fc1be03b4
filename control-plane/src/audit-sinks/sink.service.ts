import { randomUUID } from 'node:crypto';
import { sealSecret } from '@keyward/shared';
import { CHAIN_KIND_NAMES, type ChainKindName } from '../audit-chain/chain-kinds.js';
import { actorOf } from '../auth/viewer.js';
import { requireOrgPlanFeature } from '../billing/plan-gates.js';
import { AppError } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import { orgOf } from '../keys/key.service.js';
import { assertUuid } from '../keys/validators.js';
import { generateWebhookSecret } from '../webhooks/signing.js';
import { chainHeads } from './sink-batch.js';
import { checkSinkFields, type SinkFields } from './sink-settings.js';
import { AuditSink, AuditSinkCursor, AuditSinkDeadLetter, sinkAad } from './sink.entity.js';
import type { CreateAuditSinkInput, UpdateAuditSinkInput } from './sink.input.js';
import type { AuditSinkTestResult, AuditSinkType, CreatedAuditSink } from './sink.type.js';

/** Most sinks one organization may have. */
const MAX_SINKS_PER_ORG = 10;
/** Dead letters listed per sink. */
const MAX_DEAD_LETTERS_LISTED = 50;

/** The organization's sinks, oldest first, with their cursors' lag and errors and their dead letters. */
export async function listSinks(ctx: GraphQLContext): Promise<AuditSinkType[]> {
  const orgId = orgOf(ctx);
  const sinks = await ctx.em.find(AuditSink, {}, { orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  if (sinks.length === 0) return [];
  const heads = await chainHeads(ctx.em, orgId);
  // Letters before cursors: a batch is dead-lettered and its cursor moved past it in one transaction, so a
  // listing that shows the letter also shows the cursor beyond it, never the cursor still retrying it.
  const letters = await ctx.em.find(AuditSinkDeadLetter, { sink: { $in: sinks.map((s) => s.id) } }, { orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
  const cursors = await ctx.em.find(AuditSinkCursor, { sink: { $in: sinks.map((s) => s.id) } });
  return sinks.map((sink) => {
    const own = cursors
      .filter((c) => c.sink.id === sink.id)
      .sort((a, b) => CHAIN_KIND_NAMES.indexOf(a.chain) - CHAIN_KIND_NAMES.indexOf(b.chain))
      .map((c) => ({
        chain: c.chain,
        deliveredSeq: c.deliveredSeq,
        headSeq: heads[c.chain],
        lag: Math.max(0, heads[c.chain] - c.deliveredSeq),
        attempts: c.attempts,
        lastError: c.lastError,
        lastErrorAt: c.lastErrorAt,
        lastDeliveredAt: c.lastDeliveredAt,
        nextAttemptAt: c.attempts > 0 ? c.nextAttemptAt : null,
      }));
    return toSinkType(sink, own, letters.filter((l) => l.sink.id === sink.id).slice(0, MAX_DEAD_LETTERS_LISTED));
  });
}

/**
 * Creates a sink after checking every field (messages name the field; URLs and hosts follow the
 * credential address rules), seals its secret, and places its cursors at the chains' heads (or
 * at their start with `backfill`). An HTTPS sink gets a fresh signing secret, returned this once.
 */
export async function createSink(ctx: GraphQLContext, input: CreateAuditSinkInput): Promise<CreatedAuditSink> {
  const orgId = orgOf(ctx);
  await requireOrgPlanFeature(ctx.services.config.edition, ctx.em, orgId, 'auditSinks');
  const { settings, secret } = checkSinkFields(input.kind, fieldsOf(input), addressPolicy(ctx), 'none');
  const signingSecret = input.kind === 'https' ? generateWebhookSecret() : null;
  const id = randomUUID();
  const sealed = await sealSecret(ctx.services.kms, signingSecret ?? secret ?? '', sinkAad(orgId, id));
  const chains = checkedChains(input.chains);
  const sink = await ctx.em.transactional(async (tx) => {
    if ((await tx.count(AuditSink, {})) >= MAX_SINKS_PER_ORG) {
      throw new AppError('CONFLICT', `An organization may have at most ${MAX_SINKS_PER_ORG} audit sinks; delete one first.`);
    }
    const heads = await chainHeads(tx, orgId);
    const created = tx.create(AuditSink, {
      id,
      organization: orgId,
      name: input.name.trim(),
      kind: input.kind,
      format: input.format ?? 'keyward',
      chains,
      settings,
      createdBy: actorOf(ctx.viewer!),
      ...sealed,
    });
    for (const chain of chains) tx.create(AuditSinkCursor, { sink: created, chain, deliveredSeq: input.backfill ? 0 : heads[chain] });
    return created;
  });
  return { sink: toSinkType(sink, [], []), signingSecret };
}

/** Changes a sink's name, format, chains or kind fields; secrets left out are kept. A chain added starts at its head. */
export async function updateSink(ctx: GraphQLContext, input: UpdateAuditSinkInput): Promise<AuditSinkType> {
  const orgId = orgOf(ctx);
  const sink = await findSink(ctx, input.id);
  const merged: SinkFields = { ...sink.settings, ...definedFields(fieldsOf(input)) };
  const { settings, secret } = checkSinkFields(sink.kind, merged, addressPolicy(ctx), 'kept');
  if (secret !== null && sink.kind !== 'https') sink.setSealed(await sealSecret(ctx.services.kms, secret, sinkAad(orgId, sink.id)));
  sink.settings = settings;
  if (input.name != null) sink.name = input.name.trim();
  if (input.format != null) sink.format = input.format;
  await ctx.em.transactional(async (tx) => {
    if (input.chains != null) {
      const chains = checkedChains(input.chains);
      const heads = await chainHeads(tx, orgId);
      for (const chain of CHAIN_KIND_NAMES) {
        const cursor = await tx.findOne(AuditSinkCursor, { sink: sink.id, chain });
        if (chains.includes(chain) && !cursor) tx.create(AuditSinkCursor, { sink: sink.id, chain, deliveredSeq: heads[chain] });
        if (!chains.includes(chain) && cursor) tx.remove(cursor);
      }
      sink.chains = chains;
    }
    tx.persist(sink);
  });
  return (await listSinks(ctx)).find((s) => s.id === sink.id)!;
}

/** Deletes a sink with its cursors and dead letters. */
export async function deleteSink(ctx: GraphQLContext, id: string): Promise<string> {
  const sink = await findSink(ctx, id);
  await ctx.em.remove(sink).flush();
  return id;
}

/** Pauses or resumes a sink. A resumed sink sends from its cursor at once, failing batches included. */
export async function setSinkPaused(ctx: GraphQLContext, id: string, paused: boolean): Promise<AuditSinkType> {
  const sink = await findSink(ctx, id);
  sink.paused = paused;
  if (!paused) await ctx.em.nativeUpdate(AuditSinkCursor, { sink: id }, { nextAttemptAt: new Date() });
  await ctx.em.flush();
  if (!paused) ctx.services.sinkWorker.wake();
  return (await listSinks(ctx)).find((s) => s.id === id)!;
}

/** Sends a test event through the sink now and says whether the receiver took it. */
export async function sendTestEvent(ctx: GraphQLContext, id: string): Promise<AuditSinkTestResult> {
  const sink = await findSink(ctx, id);
  const error = await ctx.services.sinkWorker.sendTestEvent(sink, actorOf(ctx.viewer!));
  return { ok: error === null, error };
}

/** Sends a dead-lettered batch again; removes it when the receiver takes it. */
export async function retryDeadLetter(ctx: GraphQLContext, id: string): Promise<AuditSinkTestResult> {
  const letter = await findDeadLetter(ctx, id);
  const error = await ctx.services.sinkWorker.retryDeadLetter(ctx.em, letter);
  if (error === null) ctx.em.remove(letter);
  else {
    letter.attempts += 1;
    letter.error = error;
  }
  await ctx.em.flush();
  return { ok: error === null, error };
}

/** Discards a dead-lettered batch: its rows stay in Keyward, the sink will not get them. */
export async function discardDeadLetter(ctx: GraphQLContext, id: string): Promise<string> {
  const letter = await findDeadLetter(ctx, id);
  await ctx.em.remove(letter).flush();
  return id;
}

async function findSink(ctx: GraphQLContext, id: string): Promise<AuditSink> {
  assertUuid(id, 'an audit sink id');
  const sink = await ctx.em.findOne(AuditSink, { id });
  if (!sink) throw new AppError('NOT_FOUND', `No audit sink with id ${id} in this organization.`);
  return sink;
}

async function findDeadLetter(ctx: GraphQLContext, id: string): Promise<AuditSinkDeadLetter> {
  assertUuid(id, 'a dead letter id');
  const letter = await ctx.em.findOne(AuditSinkDeadLetter, { id }, { populate: ['sink'] });
  if (!letter) throw new AppError('NOT_FOUND', `No dead letter with id ${id} in this organization.`);
  return letter;
}

function addressPolicy(ctx: GraphQLContext) {
  return { allowLoopback: ctx.services.config.allowLoopbackUpstreams };
}

function checkedChains(chains: readonly ChainKindName[] | null | undefined): ChainKindName[] {
  return CHAIN_KIND_NAMES.filter((c) => !chains || chains.includes(c));
}

/** The kind fields of an input, as `checkSinkFields` takes them. */
function fieldsOf(input: SinkFields): SinkFields {
  const { url, token, index, sourcetype, host, port, transport, caCertificate, endpoint, bucket, region, prefix, accessKeyId, secretAccessKey } = input;
  return { url, token, index, sourcetype, host, port, transport, caCertificate, endpoint, bucket, region, prefix, accessKeyId, secretAccessKey };
}

function definedFields(fields: SinkFields): SinkFields {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined && value !== null)) as SinkFields;
}

function toSinkType(sink: AuditSink, cursors: AuditSinkType['cursors'], letters: readonly AuditSinkDeadLetter[]): AuditSinkType {
  const s = sink.settings;
  return {
    id: sink.id,
    name: sink.name,
    kind: sink.kind,
    format: sink.format,
    chains: sink.chains,
    paused: sink.paused,
    url: s.url ?? null,
    index: s.index ?? null,
    sourcetype: s.sourcetype ?? null,
    host: s.host ?? null,
    port: s.port ?? null,
    transport: s.transport ?? null,
    caCertificate: s.caCertificate ?? null,
    endpoint: s.endpoint ?? null,
    bucket: s.bucket ?? null,
    region: s.region ?? null,
    prefix: s.prefix ?? null,
    accessKeyId: s.accessKeyId ?? null,
    hasSecret: sink.ciphertext !== undefined && sink.kind !== 'syslog' && !(sink.kind === 'otlp' && isEmptySealed(sink)),
    cursors,
    lag: cursors.reduce((sum, c) => sum + c.lag, 0),
    lastError: cursors.find((c) => c.attempts > 0)?.lastError ?? null,
    deadLetters: letters.map((l) => ({
      id: l.id,
      chain: l.chain,
      fromSeq: l.fromSeq,
      toSeq: l.toSeq,
      attempts: l.attempts,
      error: l.error,
      createdAt: l.createdAt,
    })),
    createdBy: sink.createdBy,
    createdAt: sink.createdAt,
  };
}

/** An AES-GCM ciphertext of the empty string is empty: the OTLP sink has no token. */
function isEmptySealed(sink: AuditSink): boolean {
  return sink.ciphertext === '';
}
