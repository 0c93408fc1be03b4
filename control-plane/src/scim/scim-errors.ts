import type { Response } from 'express';

/** The media type of every SCIM answer (RFC 7644 §3.1). */
export const SCIM_CONTENT_TYPE = 'application/scim+json';

/** A SCIM failure, answered in the SCIM error schema (RFC 7644 §3.12). */
export class ScimError extends Error {
  override name = 'ScimError';
  constructor(
    readonly status: number,
    message: string,
    /** `invalidFilter`, `uniqueness`, `invalidPath`, `invalidValue`, `mutability`… */
    readonly scimType?: string,
    /** For a 429: when the client may try again, sent as `Retry-After`. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** Sends a SCIM error body with its status. */
export function sendScimError(res: Response, error: ScimError): void {
  res
    .status(error.status)
    .type(SCIM_CONTENT_TYPE)
    .json({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status: String(error.status),
      ...(error.scimType ? { scimType: error.scimType } : {}),
      detail: error.message,
    });
}
