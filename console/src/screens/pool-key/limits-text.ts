import type { RecipientLimitFieldsFragment } from '@/gql/graphql';

const PER: Readonly<Record<RecipientLimitFieldsFragment['budgetPeriod'], string>> = { DAY: 'a day', WEEK: 'a week', MONTH: 'a month', LIFETIME: 'in total' };

/** A recipient's limits in one line: "$5.00 a day · 60 requests/min · 2 at once", or "no limits". */
export function limitsText(limits: RecipientLimitFieldsFragment): string {
  const parts = [
    limits.budget !== null ? `$${limits.budget} ${PER[limits.budgetPeriod]}` : null,
    limits.requestsPerMinute !== null ? `${limits.requestsPerMinute} requests/min` : null,
    limits.tokensPerMinute !== null ? `${limits.tokensPerMinute} tokens/min` : null,
    limits.concurrentRequests !== null ? `${limits.concurrentRequests} at once` : null,
  ].filter((p) => p !== null);
  return parts.length ? parts.join(' · ') : 'no limits';
}
