export { startDataPlane, type DataPlane, type StartDataPlaneOptions } from './dataplane.js';
export { loadDataPlaneConfig, ConfigError, type DataPlaneConfig } from './config.js';
export { createManualConfigSource, type ConfigSource, type ConfigConsumer, type ManualConfigSource } from './config/source.js';
export { createGraphqlConfigSource, CONFIG_SUBSCRIPTION } from './config/graphql-source.js';
export { HEARTBEAT_MUTATION } from './control-plane/heartbeat.js';
export { GatewayError, type GatewayErrorCode } from './errors.js';
export type { EnforcementStep, EnforcementContext, EnforcementVerdict, EnforcementOutcome } from './steps/contract.js';
export { createLogger, REDACT_PATHS } from './observability/logger.js';
export { startTracing, type TracedRequest } from './observability/tracing.js';
export type { Readiness } from './server/app.js';
export { stopOnSignals, type SignalTarget, type StopOnSignalsOptions } from './process.js';
export {
  MemoryLimiter,
  RedisLimiter,
  ResilientLimiter,
  createNodeLimiter,
  rateLimitHeaders,
  type Limiter,
  type Admission,
  type BudgetUsage,
  type OverflowStats,
} from './limits/index.js';
export { maxCostOf, type MaxCost } from './estimate/max-cost.js';
export type { AdmissionRequest } from './limits/index.js';
export { OPERATIONS, type Operation } from './providers/index.js';
export { translatorFor, type StreamTranslator, type Translator, type UpstreamCall } from './translate/index.js';
