import { IsEmail, IsOptional, IsString, IsUUID, Length, Matches, MaxLength } from 'class-validator';
import { ArgsType, Field, ID } from 'type-graphql';
import { MAX_EMAIL_LENGTH } from '../users/email.js';
import { MAX_PASSWORD_INPUT } from './sign-in.input.js';

/** Arguments of `updateAccount`. */
@ArgsType()
export class UpdateAccountArgs {
  @Field(() => String, { description: 'Your name as other members see it.' })
  @IsString()
  @Length(1, 120, { message: 'name must be 1 to 120 characters' })
  @Matches(/\S/, { message: 'name must not be blank' })
  name!: string;
}

/** Arguments of `signOutSession`. */
@ArgsType()
export class SessionIdArgs {
  @Field(() => ID)
  @IsUUID('all', { message: 'id must be a session id' })
  id!: string;
}

/** Arguments of `changePassword`. */
@ArgsType()
export class ChangePasswordArgs {
  @Field(() => String, { nullable: true, description: 'Required when the account already has a password.' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_PASSWORD_INPUT)
  currentPassword?: string | null;

  @Field(() => String)
  @IsString()
  @MaxLength(MAX_PASSWORD_INPUT)
  newPassword!: string;
}

/** Arguments of `requestEmailChange`. */
@ArgsType()
export class RequestEmailChangeArgs {
  @Field(() => String)
  @IsEmail({}, { message: 'newEmail must be an email address' })
  @MaxLength(MAX_EMAIL_LENGTH)
  newEmail!: string;

  @Field(() => String, { nullable: true, description: 'Required when the account has a password.' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_PASSWORD_INPUT)
  currentPassword?: string | null;
}

/** Arguments of `confirmEmailChange`. */
@ArgsType()
export class ConfirmEmailChangeArgs {
  @Field(() => String, { description: 'The six digits sent to the new address.' })
  @Matches(/^\d{6}$/, { message: 'code must be the six digits from the email' })
  code!: string;
}

/** Arguments of `reauthenticate`. */
@ArgsType()
export class ReauthenticateArgs {
  @Field(() => String, { description: 'Your current password.' })
  @IsString()
  @MaxLength(MAX_PASSWORD_INPUT)
  currentPassword!: string;
}
