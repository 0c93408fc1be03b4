import { roleCan } from '../auth/roles.js';
import { AppError } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import { getKey, orgOf } from '../keys/key.service.js';
import { rowFilters } from '../audit-chain/chain-kinds.js';
import { requireRecentSignIn } from '../sessions/recent-sign-in.js';
import { EXPORT_KINDS, type ExportRequest } from './export-kinds.js';
import { exportFileName, exportLinkExpiry, signExportLink } from './export-links.js';
import type { CreateExportInput } from './export.input.js';
import type { ExportLink } from './export.type.js';

/**
 * Checks that the caller may read the kind asked for (what reading it in GraphQL needs) and the
 * range and filters (a key filter must name a key of the caller's organization), and signs a
 * download link for the caller's organization. Nothing is read yet: the download streams when
 * the link is fetched.
 */
export async function createExport(ctx: GraphQLContext, input: CreateExportInput): Promise<ExportLink> {
  const orgId = orgOf(ctx);
  const kind = EXPORT_KINDS[input.kind];
  const role = ctx.viewer && ctx.viewer.kind !== 'node' ? ctx.viewer.role : null;
  if (!role || !roleCan(role, kind.permission))
    throw new AppError('FORBIDDEN', `Your role (${role ?? 'none'}) does not allow ${kind.permission}, which exporting ${kind.name} needs.`);
  await requireRecentSignIn(ctx, `export ${kind.name}`);
  if (input.from.getTime() >= input.to.getTime()) throw new AppError('BAD_USER_INPUT', '`input.from` must be before `input.to`.');
  const filters = rowFilters(kind.chain, input, 'input');
  if (input.keyId) await getKey(ctx, input.keyId);
  const request: ExportRequest = {
    orgId,
    kind: kind.name,
    format: input.format,
    from: input.from,
    to: input.to,
    filters,
    expiresAt: exportLinkExpiry(new Date()),
  };
  return {
    url: signExportLink(ctx.services.config.publicUrl, ctx.services.config.keyPepper, request),
    fileName: exportFileName(request),
    expiresAt: request.expiresAt,
  };
}
