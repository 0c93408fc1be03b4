import { Field, ID, ObjectType } from 'type-graphql';
import type { Role } from '../auth/roles.js';
import { RoleEnum } from '../organizations/enums.js';

@ObjectType('GroupRole', { description: 'An identity-provider group and the role its members get.' })
export class GroupRoleType {
  @Field(() => String)
  group!: string;

  @Field(() => RoleEnum)
  role!: Role;
}

@ObjectType('SsoConnection', { description: "The organization's OpenID Connect identity provider. The client secret is never returned." })
export class SsoConnectionType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  issuer!: string;

  @Field(() => String)
  clientId!: string;

  @Field(() => [String])
  emailDomains!: string[];

  @Field(() => RoleEnum)
  defaultRole!: Role;

  @Field(() => String)
  groupsClaim!: string;

  @Field(() => [GroupRoleType])
  groupRoles!: GroupRoleType[];

  @Field(() => Boolean)
  requireSso!: boolean;

  @Field(() => String, { description: 'The redirect URI to register with the identity provider.' })
  redirectUri!: string;

  @Field(() => String, { description: "This organization's sign-in address (people may also give their email on the sign-in page)." })
  signInUrl!: string;

  @Field(() => String, { description: 'Opens a test sign-in that shows what the provider sends and signs nobody in.' })
  testSignInUrl!: string;

  @Field(() => Date)
  updatedAt!: Date;
}
