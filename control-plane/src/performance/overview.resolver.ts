import { Arg, Authorized, Ctx, Query, registerEnumType, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context.js';
import { orgCallerOf } from '../sessions/caller.js';
import { overviewReport, type OverviewBucket, type OverviewGroupBy } from './overview.js';
import { OverviewReportType } from './overview.type.js';

/** How long one overview point lasts. */
const OverviewBucketEnum = { HOUR: 'hour', DAY: 'day' } as const satisfies Record<string, OverviewBucket>;
registerEnumType(OverviewBucketEnum, { name: 'OverviewBucket', description: "HOUR: clock hours; DAY: local days in the organization's time zone." });

/** What the overview's series are split by. */
const OverviewGroupByEnum = { MODEL: 'model', KEY: 'key' } as const satisfies Record<string, OverviewGroupBy>;
registerEnumType(OverviewGroupByEnum, { name: 'OverviewGroupBy' });

/** Requests and spend over time, by model or key, from the hourly usage rollups. */
@Resolver()
export class OverviewResolver {
  @Authorized('events:read')
  @Query(() => OverviewReportType, { description: 'Requests, spend, blocked requests and errors from `from` to `to` in buckets, by model or by key.' })
  overview(
    @Ctx() ctx: GraphQLContext,
    @Arg('from', () => Date) from: Date,
    @Arg('to', () => Date) to: Date,
    @Arg('bucket', () => OverviewBucketEnum) bucket: OverviewBucket,
    @Arg('groupBy', () => OverviewGroupByEnum) groupBy: OverviewGroupBy,
  ): Promise<OverviewReportType> {
    return overviewReport(ctx.em, orgCallerOf(ctx).orgId, from, to, bucket, groupBy).then((report) => ({
      ...report,
      points: [...report.points],
      series: report.series.map((s) => ({ ...s })),
      topKeys: [...report.topKeys],
    }));
  }
}
