import type { NonEmptyArray } from 'type-graphql';
import { ApprovalResolver } from './approvals/approval.resolver.js';
import { AuditResolver } from './audit/audit.resolver.js';
import { AuditChainResolver } from './audit-chain/audit-chain.resolver.js';
import { BillingResolver } from './billing/billing.resolver.js';
import { LimitsResolver } from './budgets/budget.resolver.js';
import { ModelPricesResolver, UnpricedModelsSettingResolver } from './budgets/model-price.resolver.js';
import { CredentialResolver } from './credentials/credential.resolver.js';
import { McpServerResolver } from './mcp/mcp-server.resolver.js';
import { ModelCatalogueResolver } from './models/model-catalogue.resolver.js';
import { UsageEventResolver } from './events/usage-event.resolver.js';
import { ExportResolver } from './exports/export.resolver.js';
import { InstallationResolver } from './installation/installation.resolver.js';
import { InvitationResolver } from './invitations/invitation.resolver.js';
import { KeyResolver } from './keys/key.resolver.js';
import { AnomalyResolver } from './anomaly/anomaly.resolver.js';
import { PoolResolver } from './pools/pool.resolver.js';
import { RecipientAccessResolver } from './pools/recipient-access.resolver.js';
import { NodeResolver } from './nodes/node.resolver.js';
import { MemberResolver } from './organizations/member.resolver.js';
import { PerformanceResolver } from './performance/performance.resolver.js';
import { PolicyResolver } from './policies/policy.resolver.js';
import { PrivacyResolver } from './privacy/privacy.resolver.js';
import { RouteResolver } from './routing/route.resolver.js';
import { OrganizationResolver } from './organizations/organization.resolver.js';
import { AccountResolver } from './sessions/account.resolver.js';
import { SignInResolver } from './sessions/sign-in.resolver.js';
import { SsoResolver } from './sso/sso.resolver.js';
import { ScimGroupTeamResolver } from './scim/scim-group-team.resolver.js';
import { ScimTokenResolver } from './scim/scim-token.resolver.js';
import { TeamResolver } from './teams/team.resolver.js';
import { TrustedIssuerResolver } from './provenance/trusted-issuer.resolver.js';
import { PlaygroundConversationResolver } from './playground/conversation.resolver.js';
import { ApiTokenResolver } from './tokens/api-token.resolver.js';
import { WebhookResolver } from './webhooks/webhook.resolver.js';
import { AuditSinkResolver } from './audit-sinks/sink.resolver.js';
import { MetaResolver } from './graphql/meta.resolver.js';

/** Every resolver class of the API. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const RESOLVERS: NonEmptyArray<Function> = [
  MetaResolver,
  InstallationResolver,
  SignInResolver,
  AccountResolver,
  PrivacyResolver,
  OrganizationResolver,
  MemberResolver,
  TeamResolver,
  InvitationResolver,
  ApiTokenResolver,
  AuditResolver,
  AuditChainResolver,
  KeyResolver,
  AnomalyResolver,
  PoolResolver,
  RecipientAccessResolver,
  TrustedIssuerResolver,
  CredentialResolver,
  McpServerResolver,
  NodeResolver,
  UsageEventResolver,
  PerformanceResolver,
  ExportResolver,
  PolicyResolver,
  RouteResolver,
  ApprovalResolver,
  WebhookResolver,
  AuditSinkResolver,
  SsoResolver,
  ScimTokenResolver,
  ScimGroupTeamResolver,
  LimitsResolver,
  ModelPricesResolver,
  ModelCatalogueResolver,
  PlaygroundConversationResolver,
  UnpricedModelsSettingResolver,
  BillingResolver,
];
