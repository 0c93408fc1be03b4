import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

/** Whether a node token serves every organization or only its own. */
export type NodeScope = 'global' | 'organization';

const NodeScopeEnum = { GLOBAL: 'global', ORGANIZATION: 'organization' } as const;
registerEnumType(NodeScopeEnum, {
  name: 'NodeScope',
  description: "GLOBAL: the operator's environment token, serving every organization. ORGANIZATION: serves only its organization.",
});

@ObjectType('NodeToken', { description: 'A credential data-plane nodes authenticate with. Its secret is shown only when created.' })
export class NodeTokenType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String, { description: 'The first characters of the secret, to tell tokens apart.' })
  prefix!: string;

  @Field(() => NodeScopeEnum)
  scope!: NodeScope;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  lastUsedAt!: Date | null;

  @Field(() => Date, { nullable: true })
  revokedAt!: Date | null;
}

@ObjectType({ description: 'A new node token and its secret, shown this once.' })
export class CreatedNodeToken {
  @Field(() => NodeTokenType)
  token!: NodeTokenType;

  @Field(() => String, { description: 'The node token (`kwn_…`) for KEYWARD_NODE_TOKEN on the data plane. Never shown again.' })
  secret!: string;
}

@ObjectType('DataPlaneNode', { description: 'A data-plane node, as last reported by its heartbeat and config stream.' })
export class DataPlaneNodeType {
  @Field(() => String, { description: "The node's own id." })
  id!: string;

  @Field(() => String, { description: 'Name of the node token it authenticates with.' })
  name!: string;

  @Field(() => ID)
  tokenId!: string;

  @Field(() => NodeScopeEnum)
  scope!: NodeScope;

  @Field(() => String, { nullable: true })
  hostname!: string | null;

  @Field(() => String, { nullable: true })
  softwareVersion!: string | null;

  @Field(() => Int, { description: 'The config version the node last reported applying.' })
  configVersion!: number;

  @Field(() => Int, { description: 'The newest config version published.' })
  currentVersion!: number;

  @Field(() => Int, { description: 'Versions the node is behind (currentVersion − configVersion, never negative).' })
  lag!: number;

  @Field(() => Int, { description: "Events waiting in the node's spool at its last heartbeat." })
  eventBacklog!: number;

  @Field(() => Date)
  lastSeenAt!: Date;

  @Field(() => Boolean, { description: 'Whether the node has a config stream open to this control plane now.' })
  connected!: boolean;
}
