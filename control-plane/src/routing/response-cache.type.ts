import { Field, Int, ObjectType } from 'type-graphql';

@ObjectType('ResponseCache', { description: 'The opt-in exact-match response cache of a route or key.' })
export class ResponseCacheType {
  @Field(() => Int, { description: 'How long an answer is kept, in seconds.' })
  ttlSeconds!: number;
}
