import { Field, ObjectType } from 'type-graphql';
import { Team } from '../teams/team.entity.js';

@ObjectType('ScimGroupTeam', { description: 'A SCIM group (by displayName or externalId) whose members are members of a team.' })
export class ScimGroupTeamType {
  @Field(() => String)
  group!: string;

  @Field(() => Team)
  team!: Team;
}
