import { Args, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { noteAudit } from '../audit/audit.service.js';
import { SESSION_COOKIE } from '../auth/authenticate.js';
import { AppError } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import { CodeDeliveryEnum, codeDeliveryOf, type CodeDelivery } from '../mail/code-delivery.type.js';
import { viewerInfo } from '../users/viewer-info.js';
import { ViewerInfo } from '../users/viewer-info.type.js';
import { personOf } from './caller.js';
import { Session } from './session.entity.js';
import { pickMembership } from './session.service.js';
import { RequestSignInCodeArgs, SignInWithCodeArgs, SignInWithLinkTokenArgs, SignInWithPasswordArgs, SwitchOrganizationArgs } from './sign-in.input.js';
import { requestSignInCode, signInWithCode, signInWithLinkToken, signInWithPassword } from './sign-in.service.js';

/** Sign-in, sign-out and switching organization. */
@Resolver()
export class SignInResolver {
  /** Who is calling; null when nobody is signed in (the console's first question). */
  @Query(() => ViewerInfo, { nullable: true, description: 'Who is calling; null when not signed in.' })
  async viewer(@Ctx() ctx: GraphQLContext): Promise<ViewerInfo | null> {
    const v = ctx.viewer;
    if (!v || v.kind === 'node') return null;
    const session = v.kind === 'user' ? await ctx.em.findOne(Session, { id: v.sessionId }) : null;
    return viewerInfo(ctx.em, { kind: v.kind, userId: v.userId, orgId: v.orgId, role: v.role, sessionExpiresAt: session?.expiresAt ?? null });
  }

  /** Public: it says how this server sends mail, never a code or whether an account exists. */
  @Query(() => CodeDeliveryEnum, { description: 'Where sign-in codes go (email, or the terminal in development without a mail server). Never the code.' })
  signInCodeDelivery(@Ctx() ctx: GraphQLContext): CodeDelivery {
    return codeDeliveryOf(ctx.services.mailer);
  }

  @Mutation(() => ViewerInfo, { description: 'Signs in with email and password; sets the session cookie.' })
  signInWithPassword(@Args() args: SignInWithPasswordArgs, @Ctx() ctx: GraphQLContext): Promise<ViewerInfo> {
    return signInWithPassword(ctx, args.email, args.password);
  }

  @Mutation(() => Boolean, {
    description: 'Emails a six-digit sign-in code if the address has an account. Answers true either way.',
  })
  requestSignInCode(@Args() args: RequestSignInCodeArgs, @Ctx() ctx: GraphQLContext): Promise<boolean> {
    return requestSignInCode(ctx, args.email);
  }

  @Mutation(() => ViewerInfo, { description: 'Signs in with an emailed code; sets the session cookie.' })
  signInWithCode(@Args() args: SignInWithCodeArgs, @Ctx() ctx: GraphQLContext): Promise<ViewerInfo> {
    return signInWithCode(ctx, args.email, args.code);
  }

  @Mutation(() => ViewerInfo, { description: 'Signs in with a one-time sign-in link token; sets the session cookie.' })
  signInWithLinkToken(@Args() args: SignInWithLinkTokenArgs, @Ctx() ctx: GraphQLContext): Promise<ViewerInfo> {
    return signInWithLinkToken(ctx, args.token);
  }

  @Mutation(() => Boolean, { description: 'Ends the current session and clears the cookie.' })
  async signOut(@Ctx() ctx: GraphQLContext): Promise<boolean> {
    if (ctx.viewer?.kind === 'user') await ctx.em.nativeDelete(Session, { id: ctx.viewer.sessionId });
    ctx.cookies?.clear(SESSION_COOKIE);
    return true;
  }

  @Authorized()
  @Mutation(() => ViewerInfo, { description: 'Makes another of your organizations the one this session acts in.' })
  async switchOrganization(@Args() args: SwitchOrganizationArgs, @Ctx() ctx: GraphQLContext): Promise<ViewerInfo> {
    const person = personOf(ctx);
    const membership = await pickMembership(ctx.em, person.userId, [args.organizationId]);
    if (!membership || membership.organization.id !== args.organizationId) {
      throw new AppError('NOT_FOUND', 'You are not a member of that organization.');
    }
    const session = await ctx.em.findOneOrFail(Session, { id: person.sessionId });
    await ctx.em.nativeUpdate(Session, { id: session.id }, { activeOrganization: args.organizationId });
    noteAudit(ctx, { orgId: args.organizationId, targetId: args.organizationId });
    return viewerInfo(ctx.em, {
      kind: 'user',
      userId: person.userId,
      orgId: args.organizationId,
      role: membership.role,
      sessionExpiresAt: session.expiresAt,
    });
  }
}
