import type { Operation, ProviderApi } from './types.js';

/** An operation's own parts; where the key is and how errors are written default to its family's. */
export type OperationParts = Omit<Operation, 'family' | 'api' | 'clientKey' | 'errors'> & Partial<Pick<Operation, 'clientKey' | 'errors'>>;

/** An operation of the API family `api`, built once when the module loads. */
export function defineOperation(api: ProviderApi, parts: OperationParts): Operation {
  return Object.freeze({ ...parts, family: api.family, api, clientKey: parts.clientKey ?? api.clientKey, errors: parts.errors ?? api });
}
