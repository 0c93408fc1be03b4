/** Where SCIM lives below the control plane's address. */
export const SCIM_PATH = '/scim/v2';

/** The SCIM base URL identity providers are given. */
export function scimBaseUrlOf(publicUrl: string): string {
  return `${publicUrl.replace(/\/$/, '')}${SCIM_PATH}`;
}
