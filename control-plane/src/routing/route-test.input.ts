import { Field, ID, InputType, Int } from 'type-graphql';

@InputType({ description: 'A sample request for "test this route": what an agent asks for, and as whom.' })
export class RouteTestInput {
  @Field(() => String, { description: 'The model the agent names: a model, an alias, or `role:<name>`.' })
  model!: string;

  @Field(() => ID, { nullable: true, description: 'The key sending it (its own bindings win, then its team’s).' })
  keyId?: string | null;

  @Field(() => ID, { nullable: true, description: 'A team, when no key is named.' })
  teamId?: string | null;

  @Field(() => Int, { defaultValue: 0, description: 'Approximate prompt tokens.' })
  estimatedInputTokens!: number;

  @Field(() => Int, { nullable: true, description: 'The answer’s token limit, when the request sets one.' })
  maxOutputTokens?: number | null;

  @Field(() => [String], { defaultValue: [], description: 'Names of the tools the request offers.' })
  toolsOffered!: string[];
}
