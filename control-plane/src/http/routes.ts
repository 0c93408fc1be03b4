import type { Express } from 'express';
import { registerEventRoutes } from '../events/events.route.js';
import { registerSignInLinkRoutes } from '../sessions/sign-in-link.route.js';
import type { Services } from '../services.js';

/** Adds plain HTTP routes (outside GraphQL) to the app. */
export type RouteRegistrar = (app: Express, services: Services) => void;

/** Every plain HTTP route group, mounted before GraphQL. */
export const ROUTES: RouteRegistrar[] = [registerSignInLinkRoutes, registerEventRoutes];
