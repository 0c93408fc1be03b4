import type { NonEmptyArray } from 'type-graphql';
import { MetaResolver } from './meta.resolver.js';

/** Every resolver class of the API. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const RESOLVERS: NonEmptyArray<Function> = [MetaResolver];
