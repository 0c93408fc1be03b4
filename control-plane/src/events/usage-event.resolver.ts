import { Arg, Authorized, Ctx, Int, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context.js';
import { UsageEventFilter, UsageEventStreamFilter } from './usage-event.input.js';
import { listUsageEvents, subscribeUsageEvents } from './usage-event.service.js';
import { UsageEventConnection, UsageEventType, type UsageEventMessage } from './usage-event.type.js';

/** Usage events: stored ones by page, and live ones as nodes report them. */
@Resolver(() => UsageEventType)
export class UsageEventResolver {
  @Authorized('events:read')
  @Query(() => UsageEventConnection, { description: 'Usage events of the organization, newest first.' })
  usageEvents(
    @Ctx() ctx: GraphQLContext,
    @Arg('filter', () => UsageEventFilter, { nullable: true }) filter?: UsageEventFilter,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ): Promise<UsageEventConnection> {
    return listUsageEvents(ctx, filter, first, after);
  }

  @Authorized('events:read')
  @Subscription(() => UsageEventType, {
    name: 'usageEvents',
    description: "The organization's usage events as they are stored; every filter field given must match.",
    subscribe: ({ args, context }) => subscribeUsageEvents(context as GraphQLContext, args.filter as UsageEventStreamFilter | null),
  })
  usageEventStream(
    @Root() event: UsageEventMessage,
    @Arg('filter', () => UsageEventStreamFilter, { nullable: true }) _filter?: UsageEventStreamFilter,
  ): UsageEventType {
    const { orgId: _orgId, ...view } = event;
    return view;
  }
}
