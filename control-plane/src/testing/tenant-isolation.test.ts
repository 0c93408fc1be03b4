import {
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isUnionType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLOutputType,
  type GraphQLSchema,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeywardPubSub } from '../graphql/pubsub.js';
import { buildKeywardSchema } from '../schema.js';
import { createApiToken, createOrgWithOwner, expectNoSecretsInLogs, newSession, ORG_OBJECT_FIXTURES, startPlane, type TestOrg } from './fixtures.js';
import type { TestControlPlane } from './test-control-plane.js';

/**
 * Fields anyone may call and that take no organization's object: they are skipped because
 * calling them as an attacker proves nothing (and sign-ins would only trip the throttle).
 */
const PUBLIC_FIELDS = new Set(['version', 'signInWithPassword', 'requestSignInCode', 'signInWithCode', 'signInWithLinkToken', 'acceptInvitation']);

/** How deep the generated selection goes into object fields. */
const SELECTION_DEPTH = 3;

let cp: TestControlPlane;
let schema: GraphQLSchema;
let victim: TestOrg;
let attacker: TestOrg;
let attackerToken: string;
let attackerNodeToken: string;
const idsByKind = new Map<string, string>();
const markers: string[] = [];
const before = new Map<string, unknown>();
const secrets: string[] = [];

beforeAll(async () => {
  cp = await startPlane();
  schema = await buildKeywardSchema(createKeywardPubSub());
  // On Pro, so every kind of object (webhooks, approval policies) can be planted and probed.
  victim = await createOrgWithOwner(cp, { plan: 'pro' });
  attacker = await createOrgWithOwner(cp, { plan: 'pro' });
  secrets.push(victim.owner.password, victim.owner.session, attacker.owner.password, attacker.owner.session);
  for (const fixture of ORG_OBJECT_FIXTURES) {
    const created = await fixture.create(cp, victim);
    idsByKind.set(fixture.kind, created.id);
    markers.push(...created.markers);
  }
  for (const fixture of ORG_OBJECT_FIXTURES) before.set(fixture.kind, await fixture.snapshot(cp, victim));
  const token = await createApiToken(cp, attacker.owner, 'owner');
  attackerToken = token.secret;
  const node = await cp.gql<{ createNodeToken: { secret: string } }>(
    'mutation { createNodeToken(name: "attacker node") { secret } }',
    {},
    {
      session: attacker.owner.session,
    },
  );
  attackerNodeToken = node.data!.createNodeToken.secret;
  secrets.push(attackerToken, attackerNodeToken);
});

afterAll(async () => {
  expectNoSecretsInLogs(cp, secrets);
  await cp?.close();
});

/** The victim's id for an argument, by argument name (`teamId`) or else by field name (`deleteTeam`). */
function victimIdFor(argName: string, fieldName: string): string {
  const stem = argName.replace(/Ids?$/, '');
  for (const name of [stem === 'id' ? '' : stem, fieldName]) {
    if (!name) continue;
    const fixture = ORG_OBJECT_FIXTURES.find((f) => f.matches.test(name));
    if (fixture) return idsByKind.get(fixture.kind)!;
  }
  return victim.orgId;
}

/** A value for an input type, aimed at the victim wherever an id goes. Optional fields are filled only when they are ids. */
function valueFor(type: GraphQLInputType, argName: string, fieldName: string, depth = 0): unknown {
  if (isNonNullType(type)) return valueFor(type.ofType, argName, fieldName, depth);
  if (isListType(type)) return [valueFor(type.ofType, argName, fieldName, depth)];
  if (isEnumType(type)) return type.getValues()[0].name;
  if (isInputObjectType(type)) {
    const out: Record<string, unknown> = {};
    for (const f of Object.values(type.getFields())) {
      const isId = getNamedType(f.type).name === 'ID' || /Ids?$/.test(f.name);
      if (isNonNullType(f.type) || (isId && depth < 3)) out[f.name] = valueFor(f.type, f.name, fieldName, depth + 1);
    }
    return out;
  }
  switch (type.name) {
    case 'ID':
      return victimIdFor(argName, fieldName);
    case 'String':
      if (/Ids?$/.test(argName)) return victimIdFor(argName, fieldName);
      if (/email/i.test(argName)) return `probe-${Date.now()}@example.test`;
      // Long enough to pass length checks (secrets are often 8+), so the call gets as far as the id.
      return 'probe-0123456789';
    case 'Int':
    case 'Float':
      return 1;
    case 'Boolean':
      return false;
    case 'DateTimeISO':
      return new Date(Date.now() + 86_400_000).toISOString();
    default:
      return {};
  }
}

/** A selection of every scalar field (and nested objects, a few levels down) of an output type. */
function selectionFor(type: GraphQLOutputType, depth = 0): string {
  const named = getNamedType(type);
  if (isScalarType(named) || isEnumType(named)) return '';
  if (isUnionType(named) || isInterfaceType(named)) return '{ __typename }';
  if (!isObjectType(named)) return '';
  const parts: string[] = ['__typename'];
  for (const f of Object.values(named.getFields())) {
    if (f.args.some((a) => isNonNullType(a.type))) continue;
    const inner = getNamedType(f.type);
    if (isScalarType(inner) || isEnumType(inner)) parts.push(f.name);
    else if (depth < SELECTION_DEPTH) parts.push(`${f.name} ${selectionFor(f.type, depth + 1)}`);
  }
  return `{ ${parts.join(' ')} }`;
}

function operationFor(kind: 'query' | 'mutation', field: GraphQLField<unknown, unknown>) {
  const variables: Record<string, unknown> = {};
  const defs: string[] = [];
  const args: string[] = [];
  field.args.forEach((arg: GraphQLArgument, i) => {
    const required = isNonNullType(arg.type);
    const named = getNamedType(arg.type);
    const isId = named.name === 'ID' || /Ids?$/.test(arg.name) || isInputObjectType(getNullableType(arg.type));
    if (!required && !isId) return;
    variables[`v${i}`] = valueFor(arg.type, arg.name, field.name);
    defs.push(`$v${i}: ${String(arg.type)}`);
    args.push(`${arg.name}: $v${i}`);
  });
  const head = defs.length ? `${kind} Probe(${defs.join(', ')})` : `${kind} Probe`;
  const call = args.length ? `${field.name}(${args.join(', ')})` : field.name;
  return { query: `${head} { ${call} ${selectionFor(field.type)} }`, variables };
}

function fieldsOf(kind: 'query' | 'mutation') {
  const type = kind === 'query' ? schema.getQueryType() : schema.getMutationType();
  return Object.values(type?.getFields() ?? {}).filter((f) => !PUBLIC_FIELDS.has(f.name));
}

/**
 * Victim markers found in an answer. An id the attacker sent may be echoed back (an error naming
 * the id it could not find, the attacker's own audit entry of the attempt): that reveals nothing
 * the attacker did not already have, so only markers absent from what was sent count.
 */
function leaked(body: unknown, sent: unknown = {}): string[] {
  const text = JSON.stringify(body) ?? '';
  const sentText = JSON.stringify(sent) ?? '';
  return markers.filter((m) => text.includes(m) && !sentText.includes(m));
}

describe('tenant isolation', () => {
  it('plants every kind of object in the victim organization', () => {
    expect(idsByKind.size).toBe(ORG_OBJECT_FIXTURES.length);
    expect(fieldsOf('query').length + fieldsOf('mutation').length).toBeGreaterThan(15);
  });

  for (const kind of ['query', 'mutation'] as const) {
    it(`lets a member of another organization read nothing of the victim's through any ${kind}`, async () => {
      const problems: string[] = [];
      // What the attacker sent in earlier calls: their own audit entries (exportMyData) may echo it back.
      const sentEarlier: unknown[] = [];
      for (const field of fieldsOf(kind)) {
        const { query, variables } = operationFor(kind, field);
        // A fresh session per call: a field like signOut must not end the attacker's run early.
        const callers = [
          { label: 'session', auth: { session: await newSession(cp, attacker.owner.userId, attacker.orgId) } },
          { label: 'api token', auth: { token: attackerToken } },
          // A data-plane node token of the attacker's organization, for the node-only fields.
          { label: 'node token', auth: { token: attackerNodeToken } },
          // Asking for the victim's organization by header must not switch a non-member into it.
          { label: 'session + x-keyward-org', auth: { session: await newSession(cp, attacker.owner.userId, attacker.orgId), orgId: victim.orgId } },
        ];
        for (const caller of callers) {
          const res = await cp.gql(query, variables, caller.auth);
          // Data may hold nothing of the victim's, not even an id the attacker sent in this call (that would
          // mean the call reached the victim's object); errors may echo what was sent.
          const found = [...leaked(res.data, sentEarlier), ...leaked(res.errors, [...sentEarlier, variables])];
          if (found.length) problems.push(`${field.name} as ${caller.label} revealed ${found.join(', ')}: ${JSON.stringify(res.data).slice(0, 2000)}`);
          if (res.status >= 500) problems.push(`${field.name} as ${caller.label} failed with ${res.status}: ${JSON.stringify(res.errors)}`);
          const internal = res.errors?.find((e) => e.extensions?.code === 'INTERNAL_SERVER_ERROR');
          if (internal) problems.push(`${field.name} as ${caller.label} hit an internal error (check the logs)`);
        }
        sentEarlier.push(variables);
      }
      expect(problems).toEqual([]);
    });
  }

  it("left every object of the victim's exactly as it was", async () => {
    for (const fixture of ORG_OBJECT_FIXTURES) {
      expect(await fixture.snapshot(cp, victim), fixture.kind).toEqual(before.get(fixture.kind));
    }
  });

  it('kept the victim out of the audit trail the attacker can read', async () => {
    const res = await cp.gql('{ auditLog(paging: { first: 200 }) { entries { actor targetId args } } }', {}, { session: attacker.owner.session });
    // The attacker's own attempts name the victim ids they sent; names, emails and secrets must not appear.
    expect(leaked(res.data, [...idsByKind.values(), victim.orgId])).toEqual([]);
  });
});
