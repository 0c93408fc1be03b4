import { IsIn, IsOptional, IsString, IsUUID, Length, Matches } from 'class-validator';
import { ArgsType, Field, ID } from 'type-graphql';
import { ROLES, type Role } from '../auth/roles.js';
import { RoleEnum } from '../organizations/enums.js';

/** Arguments of `createApiToken`. */
@ArgsType()
export class CreateApiTokenArgs {
  @Field(() => String, { description: 'What the token is for, e.g. "CI deploys".' })
  @IsString()
  @Length(1, 120, { message: 'name must be 1 to 120 characters' })
  @Matches(/\S/, { message: 'name must not be blank' })
  name!: string;

  @Field(() => RoleEnum, { description: 'At most your own role.' })
  @IsIn(ROLES)
  role!: Role;

  @Field(() => Date, { nullable: true, description: 'When the token stops working; null for never.' })
  @IsOptional()
  expiresAt?: Date | null;
}

/** An API token id. */
@ArgsType()
export class ApiTokenIdArgs {
  @Field(() => ID)
  @IsUUID('all', { message: 'id must be an API token id' })
  id!: string;
}
