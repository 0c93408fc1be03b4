import { randomUUID } from 'node:crypto';
import { checkBaseUrl, sealSecret, UnsafeUrlError } from '@keyward/shared';
import { actorOf } from '../auth/viewer.js';
import { requireOrgPlanFeature } from '../billing/plan-gates.js';
import { AppError } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import { orgOf } from '../keys/key.service.js';
import { Organization } from '../organizations/organization.entity.js';
import { SsoConnection, ssoSecretAad } from './sso-connection.entity.js';
import type { SsoConnectionInput } from './sso.input.js';
import { ssoRedirectUri, ssoStartUrl } from './sso-urls.js';
import type { SsoConnectionType } from './sso.type.js';

/** A DNS name of two labels or more, lower case. */
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** The organization's identity provider, or null. */
export async function getSsoConnection(ctx: GraphQLContext): Promise<SsoConnectionType | null> {
  const connection = await ctx.em.findOne(SsoConnection, {});
  return connection ? toType(ctx, connection) : null;
}

/**
 * Sets the organization's identity provider. The issuer URL passes the checks provider base
 * URLs pass; email domains are unique across organizations, so one domain never leads to two
 * identity providers; neither the default role nor a mapped role may be owner.
 */
export async function setSsoConnection(ctx: GraphQLContext, input: SsoConnectionInput): Promise<SsoConnectionType> {
  const orgId = orgOf(ctx);
  await requireOrgPlanFeature(ctx.services.config.edition, ctx.em, orgId, 'sso');
  const issuer = checkedIssuer(ctx, input.issuer.trim());
  const emailDomains = checkedDomains(input.emailDomains);
  if (input.defaultRole === 'owner') throw new AppError('BAD_USER_INPUT', 'defaultRole: people who join through SSO cannot start as owners.');
  const groupRoles = (input.groupRoles ?? []).map((m) => ({ group: m.group.trim(), role: m.role }));
  if (groupRoles.some((m) => m.role === 'owner'))
    throw new AppError('BAD_USER_INPUT', 'groupRoles: a group cannot make its members owners; owners are made in Keyward.');
  const taken: { domain: string }[] = await ctx.em
    .getConnection()
    .execute(
      'select d as domain from sso_connections, jsonb_array_elements_text(email_domains) d where organization_id <> ? and d in (select jsonb_array_elements_text(?::jsonb))',
      [orgId, JSON.stringify(emailDomains)],
    );
  if (taken.length) {
    throw new AppError('CONFLICT', `emailDomains: ${taken.map((t) => t.domain).join(', ')} already signs in through another organization's identity provider.`);
  }
  const existing = await ctx.em.findOne(SsoConnection, {});
  const secret = input.clientSecret?.trim();
  if (!existing && !secret) throw new AppError('BAD_USER_INPUT', 'clientSecret: the client secret is required when single sign-on is set up.');
  const connection =
    existing ??
    ctx.em.create(SsoConnection, {
      id: randomUUID(),
      organization: orgId,
      issuer,
      clientId: input.clientId.trim(),
      emailDomains,
      defaultRole: input.defaultRole,
      updatedBy: actorOf(ctx.viewer!),
      kekId: '',
      wrappedKey: '',
      iv: '',
      ciphertext: '',
      tag: '',
    });
  if (secret) connection.setSealed(await sealSecret(ctx.services.kms, secret, ssoSecretAad(orgId, connection.id)));
  connection.issuer = issuer;
  connection.clientId = input.clientId.trim();
  connection.emailDomains = emailDomains;
  connection.defaultRole = input.defaultRole;
  connection.groupsClaim = input.groupsClaim?.trim() || 'groups';
  connection.groupRoles = groupRoles;
  connection.requireSso = input.requireSso ?? false;
  connection.updatedBy = actorOf(ctx.viewer!);
  await ctx.em.flush();
  ctx.log.info({ orgId, requireSso: connection.requireSso }, 'single sign-on set');
  return toType(ctx, connection);
}

/** Removes the identity provider (sessions it started stay until they expire or are signed out). */
export async function deleteSsoConnection(ctx: GraphQLContext): Promise<boolean> {
  const connection = await ctx.em.findOne(SsoConnection, {});
  if (!connection) throw new AppError('NOT_FOUND', 'This organization has no single sign-on to delete.');
  await ctx.em.remove(connection).flush();
  return true;
}

async function toType(ctx: GraphQLContext, connection: SsoConnection): Promise<SsoConnectionType> {
  const org = await ctx.em.findOneOrFail(Organization, { id: connection.organization.id }, { filters: { tenant: false } });
  return {
    id: connection.id,
    issuer: connection.issuer,
    clientId: connection.clientId,
    emailDomains: connection.emailDomains,
    defaultRole: connection.defaultRole,
    groupsClaim: connection.groupsClaim,
    groupRoles: connection.groupRoles.map((m) => ({ ...m })),
    requireSso: connection.requireSso,
    redirectUri: ssoRedirectUri(ctx.services),
    signInUrl: ssoStartUrl(ctx.services, org.slug),
    testSignInUrl: ssoStartUrl(ctx.services, org.slug, true),
    updatedAt: connection.updatedAt,
  };
}

function checkedIssuer(ctx: GraphQLContext, issuer: string): string {
  try {
    checkBaseUrl(issuer, { allowLoopback: ctx.services.config.allowLoopbackUpstreams });
  } catch (error) {
    if (!(error instanceof UnsafeUrlError)) throw error;
    throw new AppError('BAD_USER_INPUT', `issuer: ${error.message.replace(/^base URL/, 'the URL')}.`);
  }
  return issuer;
}

function checkedDomains(domains: readonly string[]): string[] {
  const cleaned = [...new Set(domains.map((d) => d.trim().toLowerCase().replace(/^@/, '')))];
  const bad = cleaned.find((d) => !DOMAIN.test(d));
  if (bad !== undefined) throw new AppError('BAD_USER_INPUT', `emailDomains: "${bad.slice(0, 100)}" is not a domain name (e.g. corp.example).`);
  return cleaned;
}
