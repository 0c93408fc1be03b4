import { IsUUID, Length, Matches } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';

@InputType({ description: 'A SCIM group whose members are put in a team.' })
export class ScimGroupTeamInput {
  @Field(() => String, { description: 'The group as the identity provider sends it: its displayName or its externalId.' })
  @Length(1, 300, { message: 'group must be 1 to 300 characters' })
  @Matches(/\S/, { message: 'group must not be blank' })
  group!: string;

  @Field(() => ID)
  @IsUUID('all', { message: 'teamId must be a team id' })
  teamId!: string;
}
