import { ADDRESS_CLASS_DESCRIPTIONS, type AddressClass } from './classify.js';

/** A provider base URL was refused when it was configured; the message is one sentence naming what is wrong. */
export class UnsafeUrlError extends Error {
  override name = 'UnsafeUrlError';
}

/**
 * A connection was refused because its destination is not a public address. Raised at connect
 * time, after DNS, so a name that resolves (or re-resolves) somewhere internal is caught.
 */
export class UnsafeAddressError extends Error {
  override name = 'UnsafeAddressError';
  readonly code = 'ERR_KEYWARD_UNSAFE_ADDRESS';

  constructor(
    /** The host as requested (a name or an IP literal). */
    readonly host: string,
    /** The address it resolved to (the literal itself for an IP host). */
    readonly address: string,
    readonly addressClass: AddressClass,
  ) {
    const what = ADDRESS_CLASS_DESCRIPTIONS[addressClass];
    super(
      host === address
        ? `refusing to connect to ${address}: it is ${what}, and providers must be reached at public addresses`
        : `refusing to connect to "${host}": it resolves to ${address}, ${what}, and providers must be reached at public addresses`,
    );
  }
}
