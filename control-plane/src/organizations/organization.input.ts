import { IsBoolean, IsIn, IsInt, IsOptional, IsString, IsUUID, Length, Matches, Max, Min, ValidateNested } from 'class-validator';
import { ArgsType, Field, ID, InputType, Int } from 'type-graphql';
import { ROLES, type Role } from '../auth/roles.js';
import { LimiterFailModeEnum, RoleEnum } from './enums.js';
import { IsIanaTimeZone } from './time-zone.js';
import { UnpricedModelsInput } from '../budgets/model-price.input.js';

/** Shortest event retention an organization may choose. */
const MIN_RETENTION_DAYS = 1;
/** Longest event retention an organization may choose (ten years). */
const MAX_RETENTION_DAYS = 3650;

/** A slug: lower-case letters, digits and inner hyphens, 3 to 64 characters. */
const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{1,62}[a-z0-9])$/;

/** Arguments of `createOrganization`. */
@InputType()
export class CreateOrganizationInput {
  @Field(() => String)
  @IsString()
  @Length(1, 120, { message: 'name must be 1 to 120 characters' })
  @Matches(/\S/, { message: 'name must not be blank' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'URL-safe unique name; derived from the name when omitted.' })
  @IsOptional()
  @Matches(SLUG_PATTERN, { message: 'slug must be 3 to 64 lower-case letters, digits or inner hyphens' })
  slug?: string | null;
}

/** Arguments of `updateOrganizationSettings`. */
@InputType({ description: 'Only the fields given change.' })
export class UpdateOrganizationSettingsInput {
  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @Length(1, 120, { message: 'name must be 1 to 120 characters' })
  @Matches(/\S/, { message: 'name must not be blank' })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'IANA time zone, e.g. Europe/Paris.' })
  @IsOptional()
  @IsIanaTimeZone()
  timeZone?: string | null;

  @Field(() => Boolean, { nullable: true })
  @IsOptional()
  @IsBoolean()
  contentCapture?: boolean | null;

  @Field(() => Int, {
    nullable: true,
    description: `Days events and admin-log entries are kept, ${MIN_RETENTION_DAYS} to ${MAX_RETENTION_DAYS}, or null to keep them forever (omit to leave unchanged). Free and Pro on a service keep 30.`,
  })
  @IsOptional()
  @IsInt()
  @Min(MIN_RETENTION_DAYS)
  @Max(MAX_RETENTION_DAYS)
  retentionDays?: number | null;

  @Field(() => Int, {
    nullable: true,
    description: `Days captured content is kept, ${MIN_RETENTION_DAYS} to ${MAX_RETENTION_DAYS} and at most the event period, or null to keep it as long as its event (omit to leave unchanged).`,
  })
  @IsOptional()
  @IsInt()
  @Min(MIN_RETENTION_DAYS)
  @Max(MAX_RETENTION_DAYS)
  contentRetentionDays?: number | null;

  @Field(() => LimiterFailModeEnum, { nullable: true })
  @IsOptional()
  @IsIn(['closed', 'open'])
  limiterFailMode?: 'closed' | 'open' | null;

  @Field(() => UnpricedModelsInput, { nullable: true, description: 'What happens to models without a price while a budget or prepaid credits apply.' })
  @IsOptional()
  @ValidateNested()
  unpricedModels?: UnpricedModelsInput | null;
}

/** Arguments of `changeMemberRole`. */
@ArgsType()
export class ChangeMemberRoleArgs {
  @Field(() => ID, { description: 'The membership id (`Member.id`).' })
  @IsUUID('all', { message: 'memberId must be a member id' })
  memberId!: string;

  @Field(() => RoleEnum)
  @IsIn(ROLES)
  role!: Role;
}

/** A membership id. */
@ArgsType()
export class MemberIdArgs {
  @Field(() => ID, { description: 'The membership id (`Member.id`).' })
  @IsUUID('all', { message: 'memberId must be a member id' })
  memberId!: string;
}
