import { IsOptional, IsString, IsUUID, Length, Matches, MaxLength } from 'class-validator';
import { ArgsType, Field, ID, InputType } from 'type-graphql';

/** Arguments of `createTeam`. */
@InputType()
export class CreateTeamInput {
  @Field(() => String)
  @IsString()
  @Length(1, 120, { message: 'name must be 1 to 120 characters' })
  @Matches(/\S/, { message: 'name must not be blank' })
  name!: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  description?: string | null;
}

/** Arguments of `renameTeam`. */
@ArgsType()
export class RenameTeamArgs {
  @Field(() => ID)
  @IsUUID('all', { message: 'id must be a team id' })
  id!: string;

  @Field(() => String)
  @IsString()
  @Length(1, 120, { message: 'name must be 1 to 120 characters' })
  @Matches(/\S/, { message: 'name must not be blank' })
  name!: string;
}

/** A team id. */
@ArgsType()
export class TeamIdArgs {
  @Field(() => ID)
  @IsUUID('all', { message: 'id must be a team id' })
  id!: string;
}
