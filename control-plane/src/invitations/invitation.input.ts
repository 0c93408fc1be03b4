import { IsEmail, IsIn, IsOptional, IsString, IsUUID, Length, Matches, MaxLength } from 'class-validator';
import { ArgsType, Field, ID } from 'type-graphql';
import { ROLES, type Role } from '../auth/roles.js';
import { RoleEnum } from '../organizations/enums.js';
import { MAX_EMAIL_LENGTH } from '../users/email.js';

/** Arguments of `inviteMember`. */
@ArgsType()
export class InviteMemberArgs {
  @Field(() => String)
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(MAX_EMAIL_LENGTH)
  email!: string;

  @Field(() => RoleEnum, { description: 'At most your own role.' })
  @IsIn(ROLES)
  role!: Role;
}

/** Arguments of `acceptInvitation`. */
@ArgsType()
export class AcceptInvitationArgs {
  @Field(() => String, { description: 'The `token` parameter of the invitation link.' })
  @IsString()
  @MaxLength(200)
  token!: string;

  @Field(() => String, { nullable: true, description: 'Your name; required when you have no account yet.' })
  @IsOptional()
  @IsString()
  @Length(1, 120, { message: 'name must be 1 to 120 characters' })
  @Matches(/\S/, { message: 'name must not be blank' })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'A password for a new account (or leave it out and sign in with emailed codes).' })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  password?: string | null;
}

/** An invitation id. */
@ArgsType()
export class InvitationIdArgs {
  @Field(() => ID)
  @IsUUID('all', { message: 'id must be an invitation id' })
  id!: string;
}
