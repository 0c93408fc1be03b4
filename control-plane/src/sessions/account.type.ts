import { Field, ID, ObjectType } from 'type-graphql';
import { User } from '../users/user.entity.js';

/** One signed-in browser of the caller, as the account page lists them. */
@ObjectType({ description: 'One of your signed-in browsers.' })
export class AccountSession {
  @Field(() => ID)
  id!: string;

  @Field(() => Date, { description: 'When this sign-in happened.' })
  createdAt!: Date;

  @Field(() => Date)
  lastSeenAt!: Date;

  @Field(() => Date)
  expiresAt!: Date;

  @Field(() => String, { description: 'The browser it was signed in from, as it named itself.' })
  userAgent!: string;

  @Field(() => Boolean, { description: 'True for the session making this request.' })
  current!: boolean;
}

/** The caller's own account: who they are, whether they have a password, where they are signed in. */
@ObjectType({ description: 'Your own account (people signed in to the console only).' })
export class Account {
  @Field(() => User)
  user!: User;

  @Field(() => Boolean, { description: 'False for people who have only signed in with codes or links so far.' })
  hasPassword!: boolean;

  @Field(() => Boolean, {
    description: 'Whether a first password may be set now without a current one (only shortly after signing in).',
  })
  canSetFirstPassword!: boolean;

  @Field(() => [AccountSession], { description: 'Your unexpired sessions, newest first.' })
  sessions!: AccountSession[];
}
