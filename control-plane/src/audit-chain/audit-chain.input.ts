import type { Decision } from '@keyward/shared';
import { IsIn, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { DecisionEnum } from '../events/usage-event.type.js';
import { AuditChainEnum } from './audit-chain.type.js';
import type { ChainKindName } from './chain-kinds.js';

/**
 * The exact-match filters of chained rows (`RowFilterName`): key and decision for usage events,
 * actor and action for audit entries, carried by the inputs that extend it.
 */
@InputType({ description: 'Exact-match filters of chained rows; each applies to usage events or to audit entries only.' })
export abstract class RowFilterFields {
  @Field(() => ID, { nullable: true, description: 'Usage events of this key only.' })
  @IsOptional()
  @IsUUID('all', { message: 'must be a key id' })
  keyId?: string | null;

  @Field(() => DecisionEnum, { nullable: true, description: 'Usage events with this decision only.' })
  @IsOptional()
  decision?: Decision | null;

  @Field(() => String, { nullable: true, description: 'Audit entries of this actor only (`user:<id>`, `token:<id>`, …).' })
  @IsOptional()
  @IsString()
  @MaxLength(80)
  actor?: string | null;

  @Field(() => String, { nullable: true, description: 'Audit entries of this mutation only, e.g. `createKey`.' })
  @IsOptional()
  @IsString()
  @MaxLength(120)
  action?: string | null;
}

@InputType({ description: 'Which chained rows `auditTrail` lists; every field given must match.' })
export class AuditTrailFilter extends RowFilterFields {
  @Field(() => AuditChainEnum)
  @IsIn(Object.values(AuditChainEnum))
  chain!: ChainKindName;

  @Field(() => Date, { nullable: true, description: 'Rows received (usage events) or recorded (audit entries) at or after this time.' })
  @IsOptional()
  from?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Rows received or recorded before this time.' })
  @IsOptional()
  to?: Date | null;
}
