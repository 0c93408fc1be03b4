import type { EventApi } from '@keyward/shared';
import { GraphQLJSON } from 'graphql-scalars';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageInfo } from '../keys/paging.js';
import type { ApprovalDecision, ApprovalStatus } from './approval.entity.js';
import type { ApprovalEventType } from './approval-event.entity.js';

export const ApprovalStatusEnum = {
  PENDING: 'pending',
  APPROVED: 'approved',
  REJECTED: 'rejected',
  EXPIRED: 'expired',
  FORWARDED: 'forwarded',
  REFUSED: 'refused',
  NODE_LOST: 'node_lost',
} as const;
registerEnumType(ApprovalStatusEnum, {
  name: 'ApprovalStatus',
  description:
    'PENDING waits for a person; APPROVED, REJECTED and EXPIRED are decisions the node has not acted on yet; then FORWARDED (the call went upstream), REFUSED (it did not) or NODE_LOST (the node restarted while holding it).',
});

const ApprovalDecisionEnum = { APPROVED: 'approved', REJECTED: 'rejected', EXPIRED: 'expired' } as const;
registerEnumType(ApprovalDecisionEnum, { name: 'ApprovalDecision', description: 'What was decided for a held request.' });

@ObjectType('ApprovalKey', { description: 'The key whose request is held.' })
export class ApprovalKeyType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String)
  prefix!: string;

  @Field(() => String)
  ownerLabel!: string;
}

@ObjectType('ApprovalReason', { description: 'What held the request: a policy rule, a budget whose action is hold, or the key’s hold after an anomaly.' })
export class ApprovalReasonType {
  @Field(() => String, { description: '`policy`, `budget` or `anomaly`.' })
  kind!: 'policy' | 'budget' | 'anomaly';

  @Field(() => ID, { nullable: true })
  policyId!: string | null;

  @Field(() => String, { nullable: true, description: 'The policy’s current name; null when it was deleted since.' })
  policyName!: string | null;

  @Field(() => Int, { nullable: true })
  policyVersion!: number | null;

  @Field(() => String, { nullable: true })
  ruleId!: string | null;

  @Field(() => ID, { nullable: true })
  budgetId!: string | null;
}

@ObjectType('ApprovalEvent', { description: "One entry of an approval's history." })
export class ApprovalEventView {
  @Field(() => String, { description: 'requested, notified, notify_failed, approved, rejected, expired or outcome.' })
  type!: ApprovalEventType;

  @Field(() => String, { description: '`node:<token id>`, `user:<id>`, `token:<id>`, `link:<channel>` or `system`.' })
  actor!: string;

  @Field(() => String, { nullable: true })
  actorName!: string | null;

  @Field(() => String, { nullable: true, description: 'For notifications: `webhook:<id>` or `slack:<id>`.' })
  channel!: string | null;

  @Field(() => String, { nullable: true, description: 'The decision reason, the node’s outcome, or why a notification failed.' })
  detail!: string | null;

  @Field(() => Date)
  createdAt!: Date;
}

@ObjectType('Approval', { description: 'A request held by a data-plane node until a person approves or rejects it.' })
export class ApprovalType {
  @Field(() => ID)
  id!: string;

  @Field(() => ApprovalStatusEnum)
  status!: ApprovalStatus;

  @Field(() => ApprovalDecisionEnum, { nullable: true })
  decision!: ApprovalDecision | null;

  @Field(() => String, { description: '`request`: held before forwarding; `response`: the answer (e.g. a tool call) is held.' })
  phase!: 'request' | 'response';

  @Field(() => ApprovalReasonType)
  reason!: ApprovalReasonType;

  @Field(() => ApprovalKeyType)
  key!: ApprovalKeyType;

  @Field(() => String, { description: "The node's own name." })
  nodeId!: string;

  @Field(() => String)
  requestId!: string;

  @Field(() => String, { description: 'The API family of a held model call, or `mcp` for a held MCP tool call.' })
  api!: EventApi;

  @Field(() => String)
  endpoint!: string;

  @Field(() => String, { nullable: true })
  model!: string | null;

  @Field(() => GraphQLJSON, { description: '`{ messages: [{ role, text }], toolCalls: [{ name, arguments }] }`, personal data redacted by the node.' })
  summary!: unknown;

  @Field(() => Date)
  expiresAt!: Date;

  @Field(() => String, { description: 'What the node does when nobody decides in time: `allow` or `block`.' })
  onTimeout!: 'allow' | 'block';

  @Field(() => String, { nullable: true, description: '`user:<id>`, `token:<id>` or `link:<channel>`; null until decided and for expiries.' })
  decidedBy!: string | null;

  @Field(() => String, { nullable: true })
  decidedByName!: string | null;

  @Field(() => String, { nullable: true })
  decisionReason!: string | null;

  @Field(() => Date, { nullable: true })
  decidedAt!: Date | null;

  @Field(() => String, {
    nullable: true,
    description: "The node's report: forwarded, rejected, timed_out_allowed, timed_out_blocked, client_gone or node_restarted.",
  })
  outcome!: string | null;

  @Field(() => Date, { nullable: true })
  outcomeAt!: Date | null;

  @Field(() => Date)
  createdAt!: Date;
}

@ObjectType('ApprovalConnection', { description: 'A page of approvals, newest first.' })
export class ApprovalConnection {
  @Field(() => [ApprovalType])
  nodes!: ApprovalType[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int)
  totalCount!: number;
}
