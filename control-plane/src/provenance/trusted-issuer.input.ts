import { IsOptional, IsString, IsUUID, Length, Matches } from 'class-validator';
import { ArgsType, Field, ID, InputType } from 'type-graphql';

/** Arguments of `addTrustedIssuer`. */
@InputType()
export class AddTrustedIssuerInput {
  @Field(() => String)
  @IsString()
  @Length(1, 120, { message: 'name must be 1 to 120 characters' })
  @Matches(/\S/, { message: 'name must not be blank' })
  name!: string;

  @Field(() => String, { description: 'The key id tokens name in `signature.kid`.' })
  @IsString()
  @Length(1, 200, { message: 'kid must be 1 to 200 characters' })
  @Matches(/^\S+$/, { message: 'kid must not contain spaces' })
  kid!: string;

  @Field(() => String, { description: 'Base64url of the 32-byte Ed25519 public key (as the HDP reference exports it).' })
  @IsString()
  publicKey!: string;

  @Field(() => String, { nullable: true, description: 'Makes this an agent’s key: it verifies the hops of this `agent_id`.' })
  @IsOptional()
  @IsString()
  @Length(1, 200, { message: 'agentId must be 1 to 200 characters' })
  agentId?: string | null;
}

/** A trusted issuer id. */
@ArgsType()
export class TrustedIssuerIdArgs {
  @Field(() => ID)
  @IsUUID('all', { message: 'id must be a trusted issuer id' })
  id!: string;
}
