import { Arg, Authorized, Ctx, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context.js';
import { orgCallerOf } from '../sessions/caller.js';
import { performanceReport, type PerformanceBucket, type PerformanceReport } from './performance.js';
import { PerformanceBucketEnum, PerformanceReportType } from './performance.type.js';

/** Latency, errors, throughput and decisions over time, from the performance rollups. */
@Resolver()
export class PerformanceResolver {
  @Authorized('events:read')
  @Query(() => PerformanceReportType, {
    description: 'Performance from `from` to `to` in buckets, optionally with the period of the same length just before for comparison.',
  })
  async performance(
    @Ctx() ctx: GraphQLContext,
    @Arg('from', () => Date) from: Date,
    @Arg('to', () => Date) to: Date,
    @Arg('bucket', () => PerformanceBucketEnum) bucket: PerformanceBucket,
    @Arg('compare', () => Boolean, { defaultValue: false }) compare: boolean,
  ): Promise<PerformanceReportType> {
    const { orgId } = orgCallerOf(ctx);
    const current = await performanceReport(ctx.em, orgId, from, to, bucket);
    let previous: PerformanceReport | null = null;
    if (compare) {
      const length = current.to.getTime() - current.from.getTime();
      previous = await performanceReport(ctx.em, orgId, new Date(current.from.getTime() - length), current.from, bucket);
    }
    return { ...toType(current), previous: previous && toType(previous) };
  }
}

function toType(report: PerformanceReport): PerformanceReportType {
  return {
    ...report,
    points: report.points.map((p) => ({ ...p, decisions: [...p.decisions] })),
    totals: { ...report.totals, decisions: [...report.totals.decisions] },
    providers: report.providers.map((p) => ({ ...p, decisions: [...p.decisions] })),
    previous: null,
  };
}
