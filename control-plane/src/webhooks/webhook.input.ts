import { ArrayMaxSize, ArrayMinSize, IsOptional, Length } from 'class-validator';
import { Field, InputType } from 'type-graphql';

@InputType({ description: 'A webhook: signed JSON POSTs of the chosen events to an https URL.' })
export class CreateWebhookInput {
  @Field(() => String, { description: 'https URL (plain http only for loopback when the control plane allows loopback upstreams).' })
  @Length(1, 2000)
  url!: string;

  @Field(() => [String], {
    description: 'approval.requested, approval.decided, budget.threshold and/or pool_key.revealed, .link_resent, .rotated, .revoked, .expired, .limit_hit.',
  })
  @ArrayMinSize(1)
  @ArrayMaxSize(10)
  events!: string[];
}

@InputType({ description: 'The Slack incoming webhook notifications are posted through.' })
export class SlackIntegrationInput {
  @Field(() => String, {
    description: 'The incoming webhook URL Slack gave (https://hooks.slack.com/services/…). It is a secret: stored sealed, never shown again.',
  })
  @Length(1, 2000)
  secretUrl!: string;

  @Field(() => [String], { nullable: true, description: 'Default: approval.requested and approval.decided.' })
  @IsOptional()
  @ArrayMinSize(1)
  @ArrayMaxSize(10)
  events?: string[] | null;
}
