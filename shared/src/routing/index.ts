export { anyGlobMatches, globMatch, isGlob } from './globs.js';
export {
  aliasIndex,
  compileRouteRules,
  expandTargets,
  matchedEntry,
  resolveBinding,
  roleNameOf,
  routeNamesOf,
  strategyOf,
  targetsFitting,
  type BindingKey,
  type BindingLevel,
  type BoundMatch,
  type RouteNames,
} from './resolve.js';
export { orderTargets, type OrderableTarget, type OrderingInput, type TargetHealthView } from './strategies.js';
