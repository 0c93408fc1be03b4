import { isIP } from 'node:net';
import { Agent, buildConnector } from 'undici';
import { classifyAddress, isAddressAllowed, type AddressPolicy } from './classify.js';
import { UnsafeAddressError } from './errors.js';
import { guardedLookup } from './guarded-lookup.js';

/** undici `Agent` options plus the address policy; `connect` must be options, not a custom function. */
export type GuardedAgentOptions = AddressPolicy & Omit<Agent.Options, 'connect'> & { readonly connect?: buildConnector.BuildOptions };

/**
 * An undici `Agent` that only opens connections to public addresses (and loopback with
 * `allowLoopback`). Host names are checked by `guardedLookup` after DNS, on every new
 * connection; IP-literal hosts, which `net.connect` never looks up, are checked before dialing.
 * Not for use behind an HTTP proxy: the check would see the proxy's address, not the target's.
 */
export function createGuardedAgent(options: GuardedAgentOptions): Agent {
  const { allowLoopback, connect, ...agentOptions } = options;
  if (typeof connect === 'function') throw new TypeError('createGuardedAgent needs connect options, not a connector function');
  const policy: AddressPolicy = { allowLoopback };
  const dial = buildConnector({ ...connect, lookup: guardedLookup(policy) } as buildConnector.BuildOptions);

  const guardedConnect: buildConnector.connector = (connectOptions, callback) => {
    const host = connectOptions.hostname.replace(/^\[(.*)\]$/, '$1');
    if (isIP(host)) {
      const addressClass = classifyAddress(host);
      if (!isAddressAllowed(addressClass, policy)) {
        callback(new UnsafeAddressError(host, host, addressClass), null);
        return;
      }
    }
    return dial(connectOptions, callback);
  };
  return new Agent({ ...agentOptions, connect: guardedConnect });
}
