import { GraphQLJSON } from 'graphql-scalars';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { DeliveryStatus } from './webhook-delivery.entity.js';
import type { WebhookKind } from './webhook.entity.js';

const WebhookKindEnum = { WEBHOOK: 'webhook', SLACK: 'slack' } as const;
registerEnumType(WebhookKindEnum, {
  name: 'WebhookKind',
  description: 'WEBHOOK: signed JSON POSTs to a URL; SLACK: messages through a Slack incoming webhook.',
});

const DeliveryStatusEnum = { PENDING: 'pending', DELIVERED: 'delivered', FAILED: 'failed' } as const;
registerEnumType(DeliveryStatusEnum, {
  name: 'WebhookDeliveryStatus',
  description: 'PENDING: waiting for its next attempt; DELIVERED: answered 2xx; FAILED: gave up after the last attempt.',
});

@ObjectType('Webhook', { description: 'Where notifications go: a signed webhook or the Slack integration. Secrets are never returned.' })
export class WebhookType {
  @Field(() => ID)
  id!: string;

  @Field(() => WebhookKindEnum)
  kind!: WebhookKind;

  @Field(() => String, {
    nullable: true,
    description: 'Always null: a webhook URL may hold a token, so it is stored sealed and never returned.',
    deprecationReason: 'A webhook URL is a secret; read urlHint.',
  })
  url!: null;

  @Field(() => String, { description: 'What is shown of the URL: its scheme and host, the rest masked (https://hooks.example.com/…).' })
  urlHint!: string;

  @Field(() => [String], { description: 'Events delivered, e.g. approval.requested.' })
  events!: string[];

  @Field(() => String)
  createdBy!: string;

  @Field(() => Date)
  createdAt!: Date;
}

@ObjectType('CreatedWebhook', { description: 'A new webhook and its signing secret, shown this once.' })
export class CreatedWebhook {
  @Field(() => WebhookType)
  webhook!: WebhookType;

  @Field(() => String, { description: 'HMAC-SHA256 key of the x-keyward-signature header. Store it now: it is never shown again.' })
  secret!: string;
}

@ObjectType('WebhookDelivery', { description: 'One notification sent (or being sent) to one webhook.' })
export class WebhookDeliveryType {
  @Field(() => ID, { description: 'Also sent as x-keyward-delivery, the same on every attempt.' })
  id!: string;

  @Field(() => ID)
  webhookId!: string;

  @Field(() => String)
  event!: string;

  @Field(() => DeliveryStatusEnum)
  status!: DeliveryStatus;

  @Field(() => Int)
  attempts!: number;

  @Field(() => Int, { nullable: true })
  lastStatusCode!: number | null;

  @Field(() => String, { nullable: true })
  lastError!: string | null;

  @Field(() => Date, { nullable: true, description: 'When the next attempt is due; null once delivered or failed.' })
  nextAttemptAt!: Date | null;

  @Field(() => Date, { nullable: true })
  deliveredAt!: Date | null;

  @Field(() => GraphQLJSON, { description: 'The event data (signed links are added at send time and not kept).' })
  payload!: unknown;

  @Field(() => Date)
  createdAt!: Date;
}
