import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startRedisServer, type RedisServer } from '@keyward/data-plane/testing';
import { startMockProvider, type MockProvider } from '../mock-provider/index.js';
import { startTestDataPlane, type TestDataPlane } from './support/data-plane.js';
import { startEventCollector, type EventCollector } from './support/event-collector.js';
import { hdpHeader, hdpSigner, hdpToken, THREE_HOPS, type HdpTokenSpec } from './support/hdp-tokens.js';
import { createTestWorld, type TestKey, type TestWorld } from './support/world.js';

const issuer = hdpSigner('idp-v1');
const stranger = hdpSigner('idp-v1');
const reportWriter = hdpSigner('agent-report-writer');
const TOOL = { type: 'function', function: { name: 'database_read', parameters: { type: 'object', properties: {} } } } as const;

describe('HDP delegation provenance on the data plane', () => {
  let world: TestWorld;
  let mock: MockProvider;
  let collector: EventCollector;
  let dp: TestDataPlane;
  let key: TestKey;
  let strictKey: TestKey;

  const openai = (headers: Record<string, string>, apiKey = key.secret) =>
    new OpenAI({ apiKey, baseURL: `${dp.url}/v1`, maxRetries: 0, defaultHeaders: headers });
  /** The three hops, the report writer's signed with the agent key the organization registered for it. */
  const signedHops = [THREE_HOPS[0], THREE_HOPS[1], { ...THREE_HOPS[2], signer: reportWriter }];
  const withToken = (spec: Partial<HdpTokenSpec> = {}) => ({ 'X-HDP-Token': hdpHeader(hdpToken({ issuer, hops: signedHops, ...spec })) });
  const chat = (client: OpenAI, tools: OpenAI.ChatCompletionTool[] = []) =>
    client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Summarize Q1.' }], ...(tools.length ? { tools } : {}) });
  const refusalOf = async (promise: Promise<unknown>) => {
    const error = (await promise.then(
      () => null,
      (e: unknown) => e,
    )) as InstanceType<typeof OpenAI.APIError>;
    expect(error).toBeInstanceOf(OpenAI.APIError);
    return { status: error.status, code: error.code, message: error.message };
  };

  beforeAll(async () => {
    world = await createTestWorld({
      hdpTrustedKeys: [
        { kid: issuer.kid, publicKey: issuer.publicKey },
        { kid: reportWriter.kid, publicKey: reportWriter.publicKey, agentId: 'report-writer' },
      ],
    });
    mock = await startMockProvider();
    collector = await startEventCollector();
    const openaiCredential = await world.credential('openai', `${mock.url}/v1`);
    const anthropicCredential = await world.credential('anthropic', mock.url);
    const geminiCredential = await world.credential('gemini', mock.url);
    key = world.key();
    strictKey = world.key();
    strictKey = { ...strictKey, config: { ...strictKey.config, requireProvenance: true } };
    dp = await startTestDataPlane({
      world,
      snapshot: world.snapshot({ keys: [key, strictKey], credentials: [openaiCredential, anthropicCredential, geminiCredential] }),
      eventsUrl: collector.eventsUrl,
    });
  });

  afterAll(async () => {
    await dp?.close();
    await collector?.close();
    await mock?.close();
  });

  beforeEach(() => mock.reset());

  it('lets an agent through with a three-hop chain whose last hop its own agent key signed, and with a tool the token authorizes', async () => {
    const token = withToken();
    const answer = await chat(openai(token), [TOOL]);
    expect(answer.choices[0]!.message.content).toBeTruthy();
    // Repeated calls of the session reuse the verification.
    await chat(openai(token), [TOOL]);
    expect(mock.requests).toHaveLength(2);
  });

  it('refuses a tool outside authorized_tools with 403 before anything reaches the provider', async () => {
    const refusal = await refusalOf(chat(openai(withToken()), [{ ...TOOL, function: { ...TOOL.function, name: 'transfer_funds' } }]));
    expect(refusal).toMatchObject({ status: 403, code: 'hdp_tool_unauthorized', message: expect.stringContaining('transfer_funds') });
    expect(mock.requests).toHaveLength(0);
  });

  it('refuses a token whose scope forbids network egress with 403', async () => {
    const scope = { intent: 'Work offline.', data_classification: 'restricted', network_egress: false, persistence: false };
    expect(await refusalOf(chat(openai(withToken({ scope }))))).toMatchObject({
      status: 403,
      code: 'hdp_egress_forbidden',
      message: expect.stringContaining('restricted'),
    });
  });

  it('refuses tampered, untrusted, expired and over-long tokens with 401 or 403 and the reason code', async () => {
    const tampered = hdpToken({ issuer, hops: signedHops });
    (tampered.scope as Record<string, unknown>).authorized_tools = ['database_read', 'transfer_funds'];
    expect(await refusalOf(chat(openai({ 'X-HDP-Token': hdpHeader(tampered) })))).toMatchObject({ status: 401, code: 'hdp_root_signature_invalid' });
    expect(await refusalOf(chat(openai(withToken({ issuer: stranger }))))).toMatchObject({ status: 401, code: 'hdp_root_signature_invalid' });
    // The report writer's hop signed with the issuer key, though the organization registered the agent's own key.
    expect(await refusalOf(chat(openai(withToken({ hops: THREE_HOPS }))))).toMatchObject({ status: 401, code: 'hdp_hop_signature_invalid' });
    expect(await refusalOf(chat(openai(withToken({ issuedAt: Date.now() - 7_200_000 }))))).toMatchObject({ status: 401, code: 'hdp_expired' });
    const fourHops = [
      ...THREE_HOPS.slice(0, 2),
      { agent_id: 'a3', agent_type: 'sub-agent', action_summary: 'x' },
      { agent_id: 'a4', agent_type: 'sub-agent', action_summary: 'y' },
    ];
    expect(await refusalOf(chat(openai(withToken({ hops: fourHops }))))).toMatchObject({ status: 403, code: 'hdp_max_hops_exceeded' });
    expect(mock.requests).toHaveLength(0);
  });

  it('refuses a token id replayed in another session, and a token sent for a session it does not belong to', async () => {
    const tokenId = crypto.randomUUID();
    const hops = [THREE_HOPS[0]];
    await chat(openai(withToken({ tokenId, sessionId: 'sess-a', hops })));
    expect(await refusalOf(chat(openai(withToken({ tokenId, sessionId: 'sess-b', hops }))))).toMatchObject({ status: 401, code: 'hdp_session_mismatch' });
    expect(await refusalOf(chat(openai({ ...withToken({ hops }), 'X-HDP-Session': 'sess-other' })))).toMatchObject({
      status: 401,
      code: 'hdp_session_mismatch',
    });
  });

  it('answers malformed headers with 400 and the reason code', async () => {
    expect(await refusalOf(chat(openai({ 'X-HDP-Token': 'not base64url!' })))).toMatchObject({ status: 400, code: 'hdp_encoding' });
    expect(await refusalOf(chat(openai({ 'X-HDP-Token': Buffer.from('{"hdp":').toString('base64url') })))).toMatchObject({ status: 400, code: 'hdp_json' });
    const noPrincipal = hdpToken({ issuer });
    delete noPrincipal.principal;
    expect(await refusalOf(chat(openai({ 'X-HDP-Token': hdpHeader(noPrincipal) })))).toMatchObject({
      status: 400,
      code: 'hdp_malformed',
      message: expect.stringContaining('"principal" is missing'),
    });
  });

  it('lets a request without a token through, unless its key requires provenance', async () => {
    await chat(openai({}));
    expect(await refusalOf(chat(openai({}, strictKey.secret)))).toMatchObject({ status: 401, code: 'hdp_required' });
    const hops = [THREE_HOPS[0], THREE_HOPS[1]];
    await chat(openai(withToken({ hops }), strictKey.secret));
  });

  it('records on every event the verified principal, the hop chain, the token id and the result', async () => {
    const tokenId = crypto.randomUUID();
    const allowed = await chat(openai(withToken({ tokenId, sessionId: 'sess-events' }), key.secret), [TOOL]).withResponse();
    const refused = await chat(openai(withToken({ tokenId, sessionId: 'sess-events' })), [{ ...TOOL, function: { ...TOOL.function, name: 'transfer_funds' } }])
      .withResponse()
      .catch((e: InstanceType<typeof OpenAI.APIError>) => e);
    const absent = await chat(openai({})).withResponse();
    const requestIds = [
      allowed.response.headers.get('x-request-id'),
      (refused as InstanceType<typeof OpenAI.APIError>).requestID,
      absent.response.headers.get('x-request-id'),
    ];
    await vi.waitFor(() => expect(requestIds.every((id) => collector.events.some((e) => e.requestId === id))).toBe(true), { timeout: 10_000 });
    const [ok, denied, none] = requestIds.map((id) => collector.events.find((e) => e.requestId === id)!);
    const chain = THREE_HOPS.map((hop) => ({ agentId: hop.agent_id, agentType: hop.agent_type }));
    expect(ok).toMatchObject({
      status: 200,
      hdpResult: 'valid',
      hdpTokenId: tokenId,
      hdpPrincipalId: 'usr_alice',
      hdpPrincipalType: 'opaque',
      hdpChain: chain,
    });
    expect(denied).toMatchObject({
      status: 403,
      decision: 'denied',
      errorCode: 'hdp_tool_unauthorized',
      hdpResult: 'tool_unauthorized',
      hdpPrincipalId: 'usr_alice',
      hdpChain: chain,
    });
    expect(none).toMatchObject({ status: 200, hdpResult: 'absent', hdpTokenId: null, hdpPrincipalId: null, hdpChain: [] });
  });

  it('refuses in the Anthropic and Gemini error formats too', async () => {
    const headers = withToken({ hops: [THREE_HOPS[0]] });
    const anthropic = new Anthropic({ apiKey: key.secret, baseURL: dp.url, maxRetries: 0, defaultHeaders: headers });
    const error = await anthropic.messages
      .create({
        model: 'claude-sonnet-4-5',
        max_tokens: 50,
        messages: [{ role: 'user', content: 'hi' }],
        tools: [{ name: 'transfer_funds', input_schema: { type: 'object' } }],
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect((error as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({
      type: 'error',
      error: { type: 'permission_error', message: expect.stringContaining('hdp_tool_unauthorized') },
    });

    const ai = new GoogleGenAI({ apiKey: key.secret, httpOptions: { baseUrl: dp.url, headers: { 'X-HDP-Token': 'bad!' } } });
    const geminiError = await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' }).catch((e: unknown) => e);
    expect(geminiError).toMatchObject({ status: 400, message: expect.stringContaining('hdp_encoding') });
    expect(mock.requests).toHaveLength(0);
  });
});

describe('HDP token sessions shared by two nodes through Redis', () => {
  const issuer = hdpSigner('idp-shared');
  let world: TestWorld;
  let mock: MockProvider;
  let redis: RedisServer;
  let key: TestKey;
  const nodes: TestDataPlane[] = [];

  beforeAll(async () => {
    world = await createTestWorld({ hdpTrustedKeys: [{ kid: issuer.kid, publicKey: issuer.publicKey }] });
    mock = await startMockProvider();
    redis = await startRedisServer();
    const credential = await world.credential('openai', `${mock.url}/v1`);
    key = world.key();
    for (let i = 0; i < 2; i++) {
      nodes.push(await startTestDataPlane({ world, snapshot: world.snapshot({ keys: [key], credentials: [credential] }), env: { REDIS_URL: redis.url } }));
    }
  });

  afterAll(async () => {
    for (const node of nodes) await node.close();
    await redis?.stop();
    await mock?.close();
  });

  it('refuses on one node a token id first used on the other in another session, and serves its own session on both', async () => {
    const tokenId = crypto.randomUUID();
    const hops = [THREE_HOPS[0]];
    const ask = (node: TestDataPlane, sessionId: string) =>
      new OpenAI({
        apiKey: key.secret,
        baseURL: `${node.url}/v1`,
        maxRetries: 0,
        defaultHeaders: { 'X-HDP-Token': hdpHeader(hdpToken({ issuer, tokenId, sessionId, hops })) },
      }).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Summarize Q1.' }] });
    await ask(nodes[0]!, 'sess-a');
    const refused = (await ask(nodes[1]!, 'sess-b').catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(refused).toBeInstanceOf(OpenAI.APIError);
    expect({ status: refused.status, code: refused.code }).toEqual({ status: 401, code: 'hdp_session_mismatch' });
    // The session it belongs to goes on, on either node.
    await ask(nodes[1]!, 'sess-a');
    await ask(nodes[0]!, 'sess-a');
    expect(mock.requests).toHaveLength(3);
  });
});
