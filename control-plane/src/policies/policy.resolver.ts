import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { POLICY_LANGUAGE, type PolicyFormat } from '@keyward/shared';
import type { GraphQLContext } from '../graphql/context.js';
import { CreatePolicyInput, ScopeInput, TestPolicyInput } from './policy.input.js';
import * as policies from './policy.service.js';
import { runPolicyTest } from './policy-test.service.js';
import { PolicyLanguageObjectType } from './policy-language.type.js';
import { PolicyTestResultType } from './policy-test.type.js';
import { PolicyFormatEnum, PolicyType, PolicyVersionType } from './policy.type.js';
import { toPolicyVersionTypes } from './policy-view.js';

/** Policies: versioned rule lists attached to the organization, teams or keys, enforced by nodes. */
@Resolver(() => PolicyType)
export class PolicyResolver {
  @Authorized('policies:read')
  @Query(() => [PolicyType], { description: 'Every policy of the organization, by name.' })
  policies(@Ctx() ctx: GraphQLContext): Promise<PolicyType[]> {
    return policies.listPolicies(ctx);
  }

  @Authorized('policies:read')
  @Query(() => PolicyType, { description: 'One policy, with its versions and attachments.' })
  policy(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<PolicyType> {
    return policies.getPolicy(ctx, id);
  }

  @Authorized('policies:read')
  @Query(() => [PolicyLanguageObjectType], { description: 'The policy language: every object a policy holds, its fields, their meaning and values.' })
  policyLanguage(): readonly PolicyLanguageObjectType[] {
    return POLICY_LANGUAGE;
  }

  @Authorized('policies:read')
  @Query(() => [PolicyVersionType], { description: "A policy's versions, newest first, with who changed what." })
  policyVersions(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<PolicyVersionType[]> {
    return policies.listPolicyVersions(ctx, id);
  }

  @Authorized('policies:read')
  @FieldResolver(() => [PolicyVersionType], { description: 'Every version, newest first.' })
  versions(@Ctx() ctx: GraphQLContext, @Root() policy: PolicyType): Promise<PolicyVersionType[]> {
    return toPolicyVersionTypes(ctx.em, policy.id);
  }

  @Authorized('policies:write')
  @Mutation(() => PolicyType, {
    description: 'Creates a policy from JSON or YAML. An invalid one fails with BAD_USER_INPUT listing every error in extensions.errors.',
  })
  createPolicy(@Ctx() ctx: GraphQLContext, @Arg('input', () => CreatePolicyInput) input: CreatePolicyInput): Promise<PolicyType> {
    return policies.createPolicy(ctx, input);
  }

  @Authorized('policies:write')
  @Mutation(() => PolicyType, { description: 'Stores new text as the next version (unchanged text makes no version); older versions stay listed.' })
  updatePolicy(
    @Ctx() ctx: GraphQLContext,
    @Arg('id', () => ID) id: string,
    @Arg('source', () => String) source: string,
    @Arg('format', () => PolicyFormatEnum, { nullable: true }) format?: PolicyFormat | null,
    @Arg('note', () => String, { nullable: true, description: 'Why the change was made.' }) note?: string | null,
  ): Promise<PolicyType> {
    return policies.updatePolicy(ctx, id, source, format, note);
  }

  @Authorized('policies:write')
  @Mutation(() => PolicyType, { description: "Sets the document's shadow flag (as a new version): evaluated and reported, never enforced." })
  setPolicyShadow(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string, @Arg('shadow', () => Boolean) shadow: boolean): Promise<PolicyType> {
    return policies.setPolicyShadow(ctx, id, shadow);
  }

  @Authorized('policies:write')
  @Mutation(() => PolicyType, { description: 'Enables or disables a policy; disabled policies are not enforced.' })
  setPolicyEnabled(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string, @Arg('enabled', () => Boolean) enabled: boolean): Promise<PolicyType> {
    return policies.setPolicyEnabled(ctx, id, enabled);
  }

  @Authorized('policies:write')
  @Mutation(() => PolicyType, { description: 'Attaches a policy to the organization, a team or a key (attaching twice changes nothing).' })
  attachPolicy(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string, @Arg('scope', () => ScopeInput) scope: ScopeInput): Promise<PolicyType> {
    return policies.attachPolicy(ctx, id, scope);
  }

  @Authorized('policies:write')
  @Mutation(() => PolicyType, { description: 'Removes one attachment of a policy.' })
  detachPolicy(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string, @Arg('scope', () => ScopeInput) scope: ScopeInput): Promise<PolicyType> {
    return policies.detachPolicy(ctx, id, scope);
  }

  @Authorized('policies:write')
  @Mutation(() => ID, { description: 'Deletes a policy with its versions and attachments; returns its id.' })
  deletePolicy(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<string> {
    return policies.deletePolicy(ctx, id);
  }

  @Authorized('policies:read')
  @Query(() => PolicyTestResultType, {
    description: 'Runs a policy (unsaved text or a stored version) against a sample: every rule with its reason, and the decision.',
  })
  testPolicy(@Ctx() ctx: GraphQLContext, @Arg('input', () => TestPolicyInput) input: TestPolicyInput): Promise<PolicyTestResultType> {
    return runPolicyTest(ctx, input);
  }
}
