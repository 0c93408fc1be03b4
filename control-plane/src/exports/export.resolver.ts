import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context.js';
import { CreateExportInput } from './export.input.js';
import { createExport } from './export.service.js';
import { ExportLink } from './export.type.js';

/** Bulk exports of usage events and audit entries, downloaded through signed links. */
@Resolver()
export class ExportResolver {
  // The permission depends on the kind asked for (events:read or audit:read): `createExport` checks it.
  @Authorized()
  @Mutation(() => ExportLink, {
    description:
      'Signs a download link for the usage events or audit entries of [from, to) as NDJSON or CSV. The link needs no cookie or token, streams any range, and expires after 15 minutes.',
  })
  createExport(@Arg('input', () => CreateExportInput) input: CreateExportInput, @Ctx() ctx: GraphQLContext): Promise<ExportLink> {
    return createExport(ctx, input);
  }
}
