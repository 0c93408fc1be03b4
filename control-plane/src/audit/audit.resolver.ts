import type { FilterQuery } from '@mikro-orm/core';
import { Arg, Authorized, Ctx, Field, ObjectType, Query, Resolver } from 'type-graphql';
import { AppError } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import { AuditEntry } from './audit-entry.entity.js';
import { AuditLogFilter, PageInput } from './audit.input.js';

/** One page of the audit trail, newest first. */
@ObjectType()
export class AuditLogPage {
  @Field(() => [AuditEntry])
  entries!: AuditEntry[];

  @Field(() => String, { nullable: true, description: 'Pass as `paging.after` for the next page; null on the last page.' })
  nextCursor!: string | null;
}

/** Reading the admin audit trail of the caller's organization. */
@Resolver()
export class AuditResolver {
  @Authorized('audit:read')
  @Query(() => AuditLogPage, { description: "The organization's audit trail, newest first." })
  async auditLog(
    @Arg('filter', () => AuditLogFilter, { nullable: true }) filter: AuditLogFilter | null,
    @Arg('paging', () => PageInput, { nullable: true }) paging: PageInput | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<AuditLogPage> {
    const first = paging?.first ?? 50;
    const and: FilterQuery<AuditEntry>[] = [];
    if (filter?.actor) and.push({ actor: filter.actor });
    if (filter?.action) and.push({ action: filter.action });
    if (filter?.targetId) and.push({ targetId: filter.targetId });
    if (filter?.outcome) and.push({ outcome: filter.outcome });
    if (filter?.since) and.push({ createdAt: { $gte: filter.since } });
    if (filter?.until) and.push({ createdAt: { $lt: filter.until } });
    if (paging?.after) {
      const { at, id } = decodeCursor(paging.after);
      and.push({ $or: [{ createdAt: { $lt: at } }, { createdAt: at, id: { $lt: id } }] });
    }
    const rows = await ctx.em.find(AuditEntry, and.length ? { $and: and } : {}, {
      orderBy: { createdAt: 'desc', id: 'desc' },
      limit: first + 1,
    });
    const entries = rows.slice(0, first);
    const last = entries[entries.length - 1];
    return { entries, nextCursor: rows.length > first && last ? encodeCursor(last) : null };
  }
}

function encodeCursor(entry: AuditEntry): string {
  return Buffer.from(JSON.stringify([entry.createdAt.toISOString(), entry.id])).toString('base64url');
}

function decodeCursor(cursor: string): { at: Date; id: string } {
  try {
    const [iso, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const at = new Date(iso);
    if (typeof id !== 'string' || !/^[0-9a-f-]{36}$/i.test(id) || Number.isNaN(at.getTime())) throw new Error('bad cursor');
    return { at, id };
  } catch {
    throw new AppError('BAD_USER_INPUT', 'paging.after is not a cursor this API gave out.', { reason: 'INVALID_CURSOR' });
  }
}
