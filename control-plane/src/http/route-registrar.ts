import type { Express } from 'express';
import type { Services } from '../services.js';

/** Adds plain HTTP routes (outside GraphQL) to the app. */
export type RouteRegistrar = (app: Express, services: Services) => void;
