import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError } from '../errors.js';
import type { Services } from '../services.js';
import { trailLines, type TrailLine, type TrailRange } from './trail-lines.js';
import { verifyTrailLines, type TrailVerification } from './verify.js';

/** Checks a requested range: `from` before `to` when both are given. */
export function trailRange(orgId: string, from: Date | null, to: Date | null): TrailRange {
  if (from && to && from.getTime() >= to.getTime()) throw new AppError('BAD_USER_INPUT', '`from` must be before `to`.');
  return { orgId, from, to };
}

/** The trail of `range` as the export writes it, line by line. */
export async function* auditTrailLines(services: Services, range: TrailRange): AsyncGenerator<TrailLine> {
  const em = services.orm.em.fork({ clear: true }) as EntityManager;
  yield* trailLines(em, await services.auditSigner.publicKeys(), range);
}

/** Re-walks the organization's chains over `range` and names every place they were tampered with. */
export function verifyAuditTrail(services: Services, range: TrailRange): Promise<TrailVerification> {
  return verifyTrailLines(auditTrailLines(services, range));
}
