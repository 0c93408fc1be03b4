import { Query, Resolver } from 'type-graphql';

/** Version of the running control plane, for clients and nodes to check compatibility. */
const KEYWARD_VERSION = '0.1.0';

@Resolver()
export class MetaResolver {
  /** The control plane's software version. Public: it tells nothing about any organization. */
  @Query(() => String, { description: "The control plane's software version." })
  version(): string {
    return KEYWARD_VERSION;
  }
}
