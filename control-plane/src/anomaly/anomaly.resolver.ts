import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context.js';
import { KeyType } from '../keys/key.type.js';
import { SetAnomalyResponseInput } from './anomaly.input.js';
import * as anomaly from './anomaly.service.js';
import { AnomalyResponseType, KeyAnomalyType } from './anomaly.type.js';

/** Anomaly actions: what an anomalous request sets off, and a person's release of a stopped key. */
@Resolver()
export class AnomalyResolver {
  @Authorized('keys:read')
  @Query(() => KeyAnomalyType, { description: 'A key’s learned anomaly baseline and its anomaly scores over the last day.' })
  keyAnomaly(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<KeyAnomalyType> {
    return anomaly.keyAnomaly(ctx, id);
  }

  @Authorized('policies:write')
  @Mutation(() => AnomalyResponseType, {
    nullable: true,
    description: 'Chooses what an anomalous request of the organization, a team or a key sets off. Answers the response set (null when cleared).',
  })
  setAnomalyResponse(
    @Ctx() ctx: GraphQLContext,
    @Arg('input', () => SetAnomalyResponseInput) input: SetAnomalyResponseInput,
  ): Promise<AnomalyResponseType | null> {
    return anomaly.setAnomalyResponse(ctx, input);
  }

  @Authorized('keys:write')
  @Mutation(() => KeyType, { description: 'Unfreezes a key frozen after an anomaly, once a person has reviewed it.' })
  unfreezeKey(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<KeyType> {
    return anomaly.unfreezeKey(ctx, id);
  }

  @Authorized('keys:write')
  @Mutation(() => KeyType, { description: 'Ends the hold of a key’s requests after an anomaly, once a person has reviewed it.' })
  releaseKeyHold(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<KeyType> {
    return anomaly.releaseKeyHold(ctx, id);
  }
}
