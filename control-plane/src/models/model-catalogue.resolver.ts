import { Authorized, Ctx, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context.js';
import { listModelCatalogue } from './model-catalogue.service.js';
import { CatalogueModelType } from './model-catalogue.type.js';

/** The catalogue of models the organization's credentials serve. */
@Resolver()
export class ModelCatalogueResolver {
  @Authorized('credentials:read')
  @Query(() => [CatalogueModelType], {
    description:
      "Models the organization's credentials serve, with their price (the organization's own or built-in; none when unpriced), context window and credentials.",
  })
  modelCatalogue(@Ctx() ctx: GraphQLContext): Promise<CatalogueModelType[]> {
    return listModelCatalogue(ctx);
  }
}
