import type { ConfigMessage } from '@keyward/shared';
import { GraphQLJSON } from 'graphql-scalars';
import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { NODE_ONLY } from '../auth/auth-checker.js';
import type { GraphQLContext } from '../graphql/context.js';
import { NodeHeartbeatInput } from './node.input.js';
import * as nodes from './node.service.js';
import { CreatedNodeToken, DataPlaneNodeType, NodeTokenType } from './node.type.js';

/** Data-plane nodes: their tokens, their status, and the config stream they enforce. */
@Resolver()
export class NodeResolver {
  @Authorized('nodes:read')
  @Query(() => [DataPlaneNodeType], { description: 'Nodes serving the organization, most recently seen first.' })
  nodes(@Ctx() ctx: GraphQLContext): Promise<DataPlaneNodeType[]> {
    return nodes.listNodes(ctx);
  }

  @Authorized('nodes:read')
  @Query(() => [NodeTokenType], { description: "Node tokens: the organization's own and the global one." })
  nodeTokens(@Ctx() ctx: GraphQLContext): Promise<NodeTokenType[]> {
    return nodes.listNodeTokens(ctx);
  }

  @Authorized('nodes:manage')
  @Mutation(() => CreatedNodeToken, {
    description: 'Creates a node token serving only this organization. The answer holds its secret, shown this once.',
  })
  createNodeToken(@Ctx() ctx: GraphQLContext, @Arg('name', () => String) name: string): Promise<CreatedNodeToken> {
    return nodes.createNodeToken(ctx, name);
  }

  @Authorized('nodes:manage')
  @Mutation(() => NodeTokenType, { description: 'Revokes a node token and closes the config streams opened with it.' })
  revokeNodeToken(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<NodeTokenType> {
    return nodes.revokeNodeToken(ctx, id);
  }

  @Authorized(NODE_ONLY)
  @Mutation(() => Boolean, { description: "Nodes only: reports a node's config version, event backlog and software." })
  nodeHeartbeat(@Ctx() ctx: GraphQLContext, @Arg('input', () => NodeHeartbeatInput) input: NodeHeartbeatInput): Promise<boolean> {
    return nodes.recordHeartbeat(ctx, input);
  }

  @Authorized(NODE_ONLY)
  @Subscription(() => GraphQLJSON, {
    description: 'Nodes only: a ConfigSnapshot of everything the node token serves (even when empty), then a ConfigDelta per publish.',
    subscribe: ({ args, context }) => nodes.openNodeConfigStream(context as GraphQLContext, args.nodeId, args.knownVersion),
  })
  configStream(
    @Root() message: ConfigMessage,
    @Arg('nodeId', () => String) _nodeId: string,
    @Arg('knownVersion', () => Int, { nullable: true }) _knownVersion?: number,
  ): ConfigMessage {
    return message;
  }
}
