import { AnomalyBaselineRecord } from './anomaly/anomaly-baseline.entity.js';
import { ApprovalEvent } from './approvals/approval-event.entity.js';
import { ApprovalLinkUse } from './approvals/approval-link-use.entity.js';
import { ApprovalRequest } from './approvals/approval.entity.js';
import { BillingAccount } from './billing/billing-account.entity.js';
import { CreditLedgerEntry } from './billing/credit-ledger.entity.js';
import { BudgetAlert } from './budgets/budget-alert.entity.js';
import { Budget } from './budgets/budget.entity.js';
import { RateLimit } from './budgets/rate-limit.entity.js';
import { SpendRollup } from './budgets/spend-rollup.entity.js';
import { PerformanceMinuteRollup, PerformanceQuarterRollup, PerformanceRollup } from './performance/performance-rollup.entity.js';
import { UsageHourRollup, UsageQuarterRollup } from './performance/usage-hour-rollup.entity.js';
import { ConfigVersion } from './config-publish/config-version.entity.js';
import { Credential } from './credentials/credential.entity.js';
import { McpServer } from './mcp/mcp-server.entity.js';
import { McpAccessGrant } from './mcp/mcp-access-grant.entity.js';
import { UsageEventRecord } from './events/usage-event.entity.js';
import { Key } from './keys/key.entity.js';
import { KeyPool, PoolRecipient } from './pools/pool.entity.js';
import { PoolKeyNotice } from './pools/pool-key-notice.entity.js';
import { RecipientCode, RecipientSession } from './pools/recipient-access.entity.js';
import { PolicyAttachment } from './policies/policy-attachment.entity.js';
import { Policy } from './policies/policy.entity.js';
import { PolicyVersion } from './policies/policy-version.entity.js';
import { Route, RouteBinding, RouteRole, RouteVersion } from './routing/route.entity.js';
import { KeySecret } from './keys/key-secret.entity.js';
import { DataPlaneNode } from './nodes/node.entity.js';
import { NodeToken } from './nodes/node-token.entity.js';
import { AuditEntry } from './audit/audit-entry.entity.js';
import { AuditChainHead, AuditChainLink, AuditCheckpoint, AuditSigningKey } from './audit-chain/audit-chain.entity.js';
import { Invitation } from './invitations/invitation.entity.js';
import { Membership } from './organizations/membership.entity.js';
import { Organization } from './organizations/organization.entity.js';
import { AuthThrottle } from './sessions/auth-throttle.entity.js';
import { Session } from './sessions/session.entity.js';
import { EmailChange } from './sessions/email-change.entity.js';
import { SignInCode } from './sessions/sign-in-code.entity.js';
import { SignInLink } from './sessions/sign-in-link.entity.js';
import { Team } from './teams/team.entity.js';
import { TrustedIssuer } from './provenance/trusted-issuer.entity.js';
import { PlaygroundConversation } from './playground/conversation.entity.js';
import { ApiToken } from './tokens/api-token.entity.js';
import { WebhookDelivery } from './webhooks/webhook-delivery.entity.js';
import { Webhook } from './webhooks/webhook.entity.js';
import { User } from './users/user.entity.js';
import { ScimGroup, ScimUser } from './scim/scim-resource.entity.js';
import { ScimToken } from './scim/scim-token.entity.js';
import { ScimGroupTeam } from './scim/scim-group-team.entity.js';
import { TeamMember } from './teams/team-member.entity.js';
import { SsoConnection } from './sso/sso-connection.entity.js';
import { SsoSignInAttempt } from './sso/sso-sign-in-attempt.entity.js';
import { AuditSink, AuditSinkCursor, AuditSinkDeadLetter } from './audit-sinks/sink.entity.js';

/**
 * Every entity class. Listed explicitly (no folder scanning) so the same list works from
 * `src` under vitest and from `dist` in production.
 */
export const ENTITIES = [
  Organization,
  User,
  Membership,
  Team,
  TrustedIssuer,
  PlaygroundConversation,
  Session,
  SignInCode,
  EmailChange,
  SignInLink,
  AuthThrottle,
  ApiToken,
  Invitation,
  AuditEntry,
  AuditChainLink,
  AuditChainHead,
  AuditCheckpoint,
  AuditSigningKey,
  AuditSink,
  AuditSinkCursor,
  AuditSinkDeadLetter,
  Key,
  KeySecret,
  KeyPool,
  PoolRecipient,
  PoolKeyNotice,
  RecipientCode,
  RecipientSession,
  Credential,
  McpServer,
  McpAccessGrant,
  ConfigVersion,
  AnomalyBaselineRecord,
  NodeToken,
  DataPlaneNode,
  UsageEventRecord,
  Policy,
  PolicyVersion,
  PolicyAttachment,
  Route,
  RouteVersion,
  RouteBinding,
  RouteRole,
  ApprovalRequest,
  ApprovalEvent,
  ApprovalLinkUse,
  Webhook,
  WebhookDelivery,
  Budget,
  RateLimit,
  SpendRollup,
  PerformanceRollup,
  PerformanceMinuteRollup,
  PerformanceQuarterRollup,
  UsageHourRollup,
  UsageQuarterRollup,
  BudgetAlert,
  BillingAccount,
  CreditLedgerEntry,
  SsoConnection,
  SsoSignInAttempt,
  ScimToken,
  ScimUser,
  ScimGroup,
  ScimGroupTeam,
  TeamMember,
];
