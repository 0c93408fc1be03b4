import { Field, ObjectType, registerEnumType } from 'type-graphql';
import type { Role } from '../auth/roles.js';
import { RoleEnum } from '../organizations/enums.js';
import { Organization } from '../organizations/organization.entity.js';
import { User } from './user.entity.js';

/** How the caller authenticated. */
const ViewerKindEnum = { USER: 'user', API_TOKEN: 'api_token' } as const;
registerEnumType(ViewerKindEnum, { name: 'ViewerKind', description: 'USER: a person with a session; API_TOKEN: automation.' });

/** One of the caller's organizations. */
@ObjectType({ description: "One of the caller's organizations and the caller's role in it." })
export class OrganizationMembership {
  @Field(() => Organization)
  organization!: Organization;

  @Field(() => RoleEnum)
  role!: Role;
}

/** Who is calling, in which organization, allowed to do what (the answer to `viewer` and the sign-in mutations). */
@ObjectType('Viewer', { description: 'Who is calling, in which organization, allowed to do what.' })
export class ViewerInfo {
  @Field(() => ViewerKindEnum)
  kind!: 'user' | 'api_token';

  @Field(() => User, { description: 'The person (for an API token: the person who created it).' })
  user!: User;

  @Field(() => Organization, { nullable: true, description: 'The organization this request acts in; null before joining one.' })
  organization!: Organization | null;

  @Field(() => RoleEnum, { nullable: true })
  role!: Role | null;

  @Field(() => [String], { description: 'Every permission the role grants, for the console to hide what the caller cannot do.' })
  permissions!: string[];

  @Field(() => [OrganizationMembership], { description: 'Every organization the person belongs to (for an API token: its own).' })
  organizations!: OrganizationMembership[];

  @Field(() => Date, { nullable: true, description: 'When the session ends (null for API tokens).' })
  sessionExpiresAt!: Date | null;
}
