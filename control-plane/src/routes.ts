import { registerApprovalLinkRoutes } from './approvals/approval-link.route.js';
import { registerAuditChainRoutes } from './audit-chain/audit-chain.route.js';
import { registerNodeApprovalRoutes } from './approvals/node-approvals.route.js';
import { registerStatementRoutes } from './billing/statement.route.js';
import { registerStripeWebhookRoute } from './billing/stripe/webhook.route.js';
import { registerEventRoutes } from './events/events.route.js';
import { registerExportRoutes } from './exports/export.route.js';
import { registerPlaygroundRoutes } from './playground/playground.route.js';
import { registerArchiveRoutes } from './org-archive/archive.route.js';
import { registerSignInLinkRoutes } from './sessions/sign-in-link.route.js';
import { registerSsoRoutes } from './sso/sso.route.js';
import { registerScimRoutes } from './scim/scim.route.js';
import type { RouteRegistrar } from './http/route-registrar.js';

/** Every plain HTTP route group, mounted before GraphQL. */
export const ROUTES: RouteRegistrar[] = [
  registerSignInLinkRoutes,
  registerSsoRoutes,
  registerScimRoutes,
  registerEventRoutes,
  registerStatementRoutes,
  registerStripeWebhookRoute,
  registerNodeApprovalRoutes,
  registerApprovalLinkRoutes,
  registerAuditChainRoutes,
  registerExportRoutes,
  registerArchiveRoutes,
  registerPlaygroundRoutes,
];
