import { Arg, Authorized, Ctx, Int, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context.js';
import { orgOf } from '../keys/key.service.js';
import { AuditTrailFilter } from './audit-chain.input.js';
import { AuditSigningKeyInfo, AuditTrailPage, AuditTrailVerification } from './audit-chain.type.js';
import { trailPage } from './trail-page.js';
import { trailRange, verifyAuditTrail } from './trail.service.js';

/** Problems one answer lists; `problemCount` says how many there were. */
const MAX_PROBLEMS = 100;

/** Verifying the tamper-evident audit trail, and the keys that sign its checkpoints. */
@Resolver()
export class AuditChainResolver {
  /** Public: anyone verifying an export needs them, and they reveal nothing. */
  @Query(() => [AuditSigningKeyInfo], { description: 'Public keys that sign audit checkpoints, oldest first.' })
  async auditSigningKeys(@Ctx() ctx: GraphQLContext): Promise<AuditSigningKeyInfo[]> {
    return ctx.services.auditSigner.publicKeys();
  }

  @Authorized('audit:read')
  @Query(() => AuditTrailVerification, {
    description:
      "Re-walks the organization's hash chains (usage events and audit entries received in [from, to), from the last signed checkpoint before) and names every row altered, deleted, inserted or reordered, and every checkpoint that fails.",
  })
  async verifyAuditTrail(
    @Arg('from', () => Date, { nullable: true }) from: Date | null,
    @Arg('to', () => Date, { nullable: true }) to: Date | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<AuditTrailVerification> {
    const result = await verifyAuditTrail(ctx.services, trailRange(orgOf(ctx), from ?? null, to ?? null));
    return { ...result, problems: result.problems.slice(0, MAX_PROBLEMS), problemCount: result.problems.length };
  }

  @Authorized('audit:read')
  @Query(() => AuditTrailPage, {
    description:
      "A page of one of the organization's hash chains, newest position first: each row's seq, hashes and summary, and the checkpoints signed at them.",
  })
  auditTrail(
    @Arg('filter', () => AuditTrailFilter) filter: AuditTrailFilter,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<AuditTrailPage> {
    return trailPage(ctx.em, orgOf(ctx), filter, first ?? null, after ?? null);
  }
}
