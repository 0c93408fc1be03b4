import { listResponse } from './scim-filter.js';

/** An attribute of a schema definition (RFC 7643 §7), in the few shapes Keyward's resources use. */
function attribute(name: string, type: 'string' | 'boolean' | 'complex', extra: Record<string, unknown> = {}) {
  return { name, type, multiValued: false, required: false, caseExact: false, mutability: 'readWrite', returned: 'default', uniqueness: 'none', ...extra };
}

const USER_SCHEMA = {
  id: 'urn:ietf:params:scim:schemas:core:2.0:User',
  name: 'User',
  description: 'A person provisioned into the organization.',
  attributes: [
    attribute('userName', 'string', { required: true, uniqueness: 'server' }),
    attribute('externalId', 'string', { caseExact: true }),
    attribute('name', 'complex', { subAttributes: [attribute('givenName', 'string'), attribute('familyName', 'string'), attribute('formatted', 'string')] }),
    attribute('displayName', 'string', { mutability: 'readOnly' }),
    attribute('emails', 'complex', {
      multiValued: true,
      subAttributes: [attribute('value', 'string'), attribute('type', 'string'), attribute('primary', 'boolean')],
    }),
    attribute('active', 'boolean'),
    attribute('groups', 'complex', { multiValued: true, mutability: 'readOnly' }),
  ],
};

const GROUP_SCHEMA = {
  id: 'urn:ietf:params:scim:schemas:core:2.0:Group',
  name: 'Group',
  description: 'A group; the SSO settings map group names to roles.',
  attributes: [
    attribute('displayName', 'string', { required: true, uniqueness: 'server' }),
    attribute('externalId', 'string', { caseExact: true }),
    attribute('members', 'complex', {
      multiValued: true,
      subAttributes: [attribute('value', 'string', { mutability: 'immutable' }), attribute('display', 'string')],
    }),
  ],
};

/** `ServiceProviderConfig`, `ResourceTypes` and `Schemas` (RFC 7644 §4) of a SCIM base URL. */
export function scimDiscovery(baseUrl: string) {
  const meta = (resourceType: string, path: string) => ({ resourceType, location: `${baseUrl}/${path}` });
  const resourceType = (name: string, endpoint: string, schema: string) => ({
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
    id: name,
    name,
    endpoint,
    schema,
    meta: meta('ResourceType', `ResourceTypes/${name}`),
  });
  const schema = (definition: typeof USER_SCHEMA) => ({
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
    ...definition,
    meta: meta('Schema', `Schemas/${definition.id}`),
  });
  const resourceTypes = [resourceType('User', '/Users', USER_SCHEMA.id), resourceType('Group', '/Groups', GROUP_SCHEMA.id)];
  const schemas = [schema(USER_SCHEMA), schema(GROUP_SCHEMA)];
  return {
    serviceProviderConfig: {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
      patch: { supported: true },
      bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
      filter: { supported: true, maxResults: 200 },
      changePassword: { supported: false },
      sort: { supported: false },
      etag: { supported: false },
      authenticationSchemes: [
        { type: 'oauthbearertoken', name: 'OAuth Bearer Token', description: "The organization's SCIM token (kws_…), created in the console.", primary: true },
      ],
      meta: meta('ServiceProviderConfig', 'ServiceProviderConfig'),
    },
    resourceTypes: listResponse(resourceTypes, resourceTypes.length, 1),
    resourceType: (name: string) => resourceTypes.find((r) => r.id === name),
    schemas: listResponse(schemas, schemas.length, 1),
    schema: (id: string) => schemas.find((s) => s.id === id),
  };
}
