import { ArrayMaxSize, IsOptional } from 'class-validator';
import { Field, InputType } from 'type-graphql';
import type { ApprovalStatus } from './approval.entity.js';
import { ApprovalStatusEnum } from './approval.type.js';

@InputType({ description: 'Which approvals to list.' })
export class ApprovalFilter {
  @Field(() => [ApprovalStatusEnum], { nullable: true, description: 'Any of these statuses; omitted: all. The queue of work is [PENDING].' })
  @IsOptional()
  @ArrayMaxSize(7)
  status?: ApprovalStatus[] | null;
}
