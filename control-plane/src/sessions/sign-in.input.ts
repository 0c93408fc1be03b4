import { IsEmail, IsString, IsUUID, Matches, MaxLength, MinLength } from 'class-validator';
import { ArgsType, Field, ID } from 'type-graphql';
import { MAX_EMAIL_LENGTH } from '../users/email.js';

/** Longest password string even looked at (the policy caps new ones lower). */
export const MAX_PASSWORD_INPUT = 1024;

/** Arguments of `signInWithPassword`. */
@ArgsType()
export class SignInWithPasswordArgs {
  @Field(() => String)
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(MAX_EMAIL_LENGTH)
  email!: string;

  @Field(() => String)
  @IsString()
  @MinLength(1, { message: 'password must not be empty' })
  @MaxLength(MAX_PASSWORD_INPUT)
  password!: string;
}

/** Arguments of `requestSignInCode`. */
@ArgsType()
export class RequestSignInCodeArgs {
  @Field(() => String)
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(MAX_EMAIL_LENGTH)
  email!: string;
}

/** Arguments of `signInWithCode`. */
@ArgsType()
export class SignInWithCodeArgs {
  @Field(() => String)
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(MAX_EMAIL_LENGTH)
  email!: string;

  @Field(() => String, { description: 'The six digits from the email.' })
  @Matches(/^\d{6}$/, { message: 'code must be the six digits from the email' })
  code!: string;
}

/** Arguments of `signInWithLinkToken`. */
@ArgsType()
export class SignInWithLinkTokenArgs {
  @Field(() => String, { description: 'The `token` parameter of a one-time sign-in link.' })
  @IsString()
  @MaxLength(200)
  token!: string;
}

/** Arguments of `switchOrganization`. */
@ArgsType()
export class SwitchOrganizationArgs {
  @Field(() => ID)
  @IsUUID('all', { message: 'organizationId must be an organization id' })
  organizationId!: string;
}
