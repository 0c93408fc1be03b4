import { ArrayMaxSize, ArrayMinSize, IsOptional, Length, ValidateNested } from 'class-validator';
import { Field, InputType } from 'type-graphql';
import type { Role } from '../auth/roles.js';
import { RoleEnum } from '../organizations/enums.js';

@InputType({ description: 'An identity-provider group and the role its members get.' })
export class GroupRoleInput {
  @Field(() => String, { description: 'The group as the provider names it in the groups claim (or as SCIM sends its displayName).' })
  @Length(1, 200)
  group!: string;

  @Field(() => RoleEnum, { description: 'Any role but OWNER: owners are made in Keyward, never by a provider.' })
  role!: Role;
}

@InputType({ description: "The organization's OpenID Connect identity provider (Okta, Entra ID, Keycloak…)." })
export class SsoConnectionInput {
  @Field(() => String, { description: 'The issuer URL, e.g. https://login.microsoftonline.com/<tenant>/v2.0; its discovery document must be readable.' })
  @Length(1, 2000)
  issuer!: string;

  @Field(() => String)
  @Length(1, 300)
  clientId!: string;

  @Field(() => String, {
    nullable: true,
    description: 'The client secret: stored sealed and never shown again. Required the first time; leave it out to keep the stored one.',
  })
  @IsOptional()
  @Length(1, 2000)
  clientSecret?: string | null;

  @Field(() => [String], { description: 'Email domains people sign in with (corp.example); a domain belongs to one organization.' })
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  emailDomains!: string[];

  @Field(() => RoleEnum, { description: 'The role of a person who joins through SSO when no group mapping names one (not OWNER).' })
  defaultRole!: Role;

  @Field(() => String, { nullable: true, description: 'The ID-token claim that lists groups (default: groups).' })
  @IsOptional()
  @Length(1, 100)
  groupsClaim?: string | null;

  @Field(() => [GroupRoleInput], { nullable: true, description: 'Groups mapped to roles; the most powerful match wins.' })
  @IsOptional()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  groupRoles?: GroupRoleInput[] | null;

  @Field(() => Boolean, {
    nullable: true,
    description: 'Members may sign in only through SSO; owners keep password and code sign-in (audited as break-glass).',
  })
  @IsOptional()
  requireSso?: boolean | null;
}
