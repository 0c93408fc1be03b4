import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { classifyAddress, isAddressAllowed, type AddressPolicy } from './classify.js';
import { UnsafeAddressError } from './errors.js';

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `dns.lookup`-compatible function for `net.connect`/`tls.connect` that resolves the host and
 * fails with `UnsafeAddressError` if any address it resolves to is not public (loopback is
 * allowed with `allowLoopback`). Running at connect time, on the addresses the socket will use,
 * it catches DNS rebinding that a check at configuration time cannot.
 */
export function guardedLookup(policy: AddressPolicy): LookupFunction {
  const guarded = (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    // Resolve every address even when one was asked for: a name that mixes public and internal
    // records is refused outright rather than depending on which record comes first.
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      if (addresses.length === 0) {
        return callback(Object.assign(new Error(`"${hostname}" resolved to no addresses`), { code: 'ENOTFOUND' }), '', 0);
      }
      for (const { address } of addresses) {
        const addressClass = classifyAddress(address);
        if (!isAddressAllowed(addressClass, policy)) return callback(new UnsafeAddressError(hostname, address, addressClass), '', 0);
      }
      if (options.all) callback(null, addresses);
      else callback(null, addresses[0].address, addresses[0].family);
    });
  };
  return guarded as LookupFunction;
}
