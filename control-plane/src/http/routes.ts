import type { Express } from 'express';
import { registerApprovalLinkRoutes } from '../approvals/approval-link.route.js';
import { registerNodeApprovalRoutes } from '../approvals/node-approvals.route.js';
import { registerStatementRoutes } from '../billing/statement.route.js';
import { registerStripeWebhookRoute } from '../billing/stripe/webhook.route.js';
import { registerEventRoutes } from '../events/events.route.js';
import { registerSignInLinkRoutes } from '../sessions/sign-in-link.route.js';
import type { Services } from '../services.js';

/** Adds plain HTTP routes (outside GraphQL) to the app. */
export type RouteRegistrar = (app: Express, services: Services) => void;

/** Every plain HTTP route group, mounted before GraphQL. */
export const ROUTES: RouteRegistrar[] = [registerSignInLinkRoutes, registerEventRoutes, registerStatementRoutes, registerStripeWebhookRoute, registerNodeApprovalRoutes, registerApprovalLinkRoutes];
