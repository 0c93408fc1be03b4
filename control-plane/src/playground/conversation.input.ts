import { ArrayMaxSize, ArrayMinSize, IsIn, IsInt, IsOptional, IsUUID, Length, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { ArgsType, Field, ID, InputType, Int } from 'type-graphql';

/** How many turns a saved conversation may hold. */
const MAX_PLAYGROUND_MESSAGES = 200;

/** The longest turn saved, in characters (a long answer fits; a pasted book does not). */
const MAX_PLAYGROUND_MESSAGE_CHARS = 100_000;

/** One turn to save. */
@InputType({ description: 'One turn of a playground conversation.' })
export class PlaygroundMessageInput {
  @Field(() => String, { description: '`user` or `assistant`.' })
  @IsIn(['user', 'assistant'], { message: 'role must be user or assistant' })
  role!: 'user' | 'assistant';

  @Field(() => String)
  @MaxLength(MAX_PLAYGROUND_MESSAGE_CHARS, { message: `content must be at most ${MAX_PLAYGROUND_MESSAGE_CHARS} characters` })
  content!: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 100, { message: 'requestId must be 1 to 100 characters' })
  requestId?: string | null;

  @Field(() => Int, { nullable: true })
  @IsOptional()
  @IsInt()
  @Min(100, { message: 'status must be an HTTP status' })
  @Max(599, { message: 'status must be an HTTP status' })
  status?: number | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 100, { message: 'errorCode must be 1 to 100 characters' })
  errorCode?: string | null;
}

/** Arguments of `savePlaygroundConversation`. */
@InputType({ description: 'A playground conversation to save: a new one without `id`, or the whole of an existing one with it.' })
export class SavePlaygroundConversationInput {
  @Field(() => ID, { nullable: true, description: 'The conversation to replace; omitted: a new one.' })
  @IsOptional()
  @IsUUID('all', { message: 'id must be a conversation id' })
  id?: string | null;

  @Field(() => ID, { description: 'The key the member chats as.' })
  @IsUUID('all', { message: 'keyId must be a key id' })
  keyId!: string;

  @Field(() => String)
  @Length(1, 200, { message: 'model must be 1 to 200 characters' })
  model!: string;

  @Field(() => [PlaygroundMessageInput])
  @ArrayMinSize(1, { message: 'messages must hold at least one turn' })
  @ArrayMaxSize(MAX_PLAYGROUND_MESSAGES, { message: `messages may hold at most ${MAX_PLAYGROUND_MESSAGES} turns` })
  @ValidateNested({ each: true })
  messages!: PlaygroundMessageInput[];
}

/** A conversation id. */
@ArgsType()
export class PlaygroundConversationIdArgs {
  @Field(() => ID)
  @IsUUID('all', { message: 'id must be a conversation id' })
  id!: string;
}
