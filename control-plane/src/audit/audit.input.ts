import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { Field, InputType, Int } from 'type-graphql';
import { AuditOutcomeEnum, type AuditOutcome } from './audit-entry.entity.js';

/** Most entries one page returns. */
const MAX_AUDIT_PAGE = 200;

/** Which audit entries `auditLog` returns. */
@InputType({ description: 'Every given field must match.' })
export class AuditLogFilter {
  @Field(() => String, { nullable: true, description: '`user:<id>`, `token:<id>` or `node:<id>`.' })
  @IsOptional()
  @IsString()
  @MaxLength(80)
  actor?: string | null;

  @Field(() => String, { nullable: true, description: 'A mutation name, e.g. `createApiToken`.' })
  @IsOptional()
  @IsString()
  @MaxLength(120)
  action?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(120)
  targetId?: string | null;

  @Field(() => AuditOutcomeEnum, { nullable: true })
  @IsOptional()
  @IsIn(['success', 'failure'])
  outcome?: AuditOutcome | null;

  @Field(() => Date, { nullable: true, description: 'Entries at or after this time.' })
  @IsOptional()
  since?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Entries before this time.' })
  @IsOptional()
  until?: Date | null;
}

/** A page size and the cursor to continue from. */
@InputType()
export class PageInput {
  @Field(() => Int, { defaultValue: 50, description: `How many entries, 1 to ${MAX_AUDIT_PAGE}.` })
  @IsInt()
  @Min(1)
  @Max(MAX_AUDIT_PAGE)
  first: number = 50;

  @Field(() => String, { nullable: true, description: '`nextCursor` of the previous page.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  after?: string | null;
}
