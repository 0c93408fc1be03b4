/** A bad configuration value: the message is one sentence naming the variable and the problem. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
