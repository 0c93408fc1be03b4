import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context.js';
import { CreateWebhookInput, SlackIntegrationInput } from './webhook.input.js';
import * as webhooks from './webhook.service.js';
import { CreatedWebhook, WebhookDeliveryType, WebhookType } from './webhook.type.js';

/** Notification targets: signed webhooks and the Slack integration, with their delivery history. */
@Resolver(() => WebhookType)
export class WebhookResolver {
  @Authorized('webhooks:manage')
  @Query(() => [WebhookType], { description: "The organization's webhooks and Slack integration." })
  webhooks(@Ctx() ctx: GraphQLContext): Promise<WebhookType[]> {
    return webhooks.listWebhooks(ctx);
  }

  @Authorized('webhooks:manage')
  @Query(() => [WebhookDeliveryType], { description: "A webhook's most recent deliveries, newest first." })
  webhookDeliveries(
    @Ctx() ctx: GraphQLContext,
    @Arg('webhookId', () => ID) webhookId: string,
    @Arg('first', () => Int, { nullable: true }) first?: number,
  ): Promise<WebhookDeliveryType[]> {
    return webhooks.listDeliveries(ctx, webhookId, first);
  }

  @Authorized('webhooks:manage')
  @Mutation(() => CreatedWebhook, { description: 'Creates a webhook. The answer holds its signing secret, shown this once.' })
  createWebhook(@Ctx() ctx: GraphQLContext, @Arg('input', () => CreateWebhookInput) input: CreateWebhookInput): Promise<CreatedWebhook> {
    return webhooks.createWebhook(ctx, input);
  }

  @Authorized('webhooks:manage')
  @Mutation(() => ID, { description: 'Deletes a webhook and its undelivered notifications; returns its id.' })
  deleteWebhook(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<string> {
    return webhooks.deleteWebhook(ctx, id);
  }

  @Authorized('webhooks:manage')
  @Mutation(() => WebhookType, { description: 'Sets (or replaces) the Slack incoming webhook; its URL is stored sealed and never shown again.' })
  createSlackIntegration(@Ctx() ctx: GraphQLContext, @Arg('input', () => SlackIntegrationInput) input: SlackIntegrationInput): Promise<WebhookType> {
    return webhooks.setSlackIntegration(ctx, input);
  }

  @Authorized('webhooks:manage')
  @Mutation(() => Boolean, { description: 'Removes the Slack integration.' })
  deleteSlackIntegration(@Ctx() ctx: GraphQLContext): Promise<boolean> {
    return webhooks.deleteSlackIntegration(ctx);
  }
}
