/**
 * The HDP token (draft-helixar-hdp-agentic-delegation-00) as Keyward reads it from the
 * `X-HDP-Token` header: base64url of the token's JSON. `parseHdpHeader` never throws: anything it
 * cannot read becomes a refusal with a reason code and a sentence naming the field.
 */
import { arrayOf, boolean, count, FieldError, integerIn, nonEmptyString, object, oneOf, string } from '../wire/field-checks.js';
import { refuse, type ProvenanceRefusal } from './reasons.js';

/** The header an agent sends its token in. */
export const HDP_HEADER = 'x-hdp-token';

/** The longest header read, in characters: a three-hop token is about 2 KiB. */
export const HDP_HEADER_MAX_LENGTH = 16_384;

/** The most hops a token may carry before it is refused as too large, whatever its `max_hops`. */
export const HDP_CHAIN_MAX_HOPS = 32;

/** Every principal `id_type` the draft names. */
export const HDP_PRINCIPAL_ID_TYPES = ['email', 'uuid', 'did', 'poh', 'opaque'] as const;
/** Every scope `data_classification`, least sensitive first. */
export const HDP_DATA_CLASSIFICATIONS = ['public', 'internal', 'confidential', 'restricted'] as const;
const AGENT_TYPES = ['orchestrator', 'sub-agent', 'tool-executor', 'custom'] as const;
const SUPPORTED_VERSIONS = ['0.1'];
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;
const UNPADDED_BASE64URL = /^[A-Za-z0-9_-]*$/;
const SIGNATURE_BYTES = 64;

/** A data classification of the token's scope, from least to most sensitive. */
export type HdpDataClassification = (typeof HDP_DATA_CLASSIFICATIONS)[number];

/** What the human authorized. */
export interface HdpScope {
  readonly intent: string;
  readonly authorizedTools?: readonly string[];
  readonly authorizedResources?: readonly string[];
  readonly dataClassification: HdpDataClassification;
  readonly networkEgress: boolean;
  readonly persistence: boolean;
  readonly maxHops?: number;
}

/** One delegation step; `raw` is the hop exactly as sent, which its signature covers. */
export interface HdpHop {
  readonly seq: number;
  readonly agentId: string;
  readonly agentType: (typeof AGENT_TYPES)[number];
  readonly parentHop: number;
  readonly timestamp: number;
  readonly actionSummary: string;
  readonly signature: Buffer;
  readonly raw: Readonly<Record<string, unknown>>;
}

/** A token read from its header; `raw` is the decoded JSON, which the signatures cover. */
export interface HdpToken {
  readonly tokenId: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly sessionId: string;
  readonly principal: { readonly id: string; readonly idType: (typeof HDP_PRINCIPAL_ID_TYPES)[number] };
  readonly scope: HdpScope;
  readonly chain: readonly HdpHop[];
  readonly kid: string;
  readonly rootSignature: Buffer;
  readonly rootSignatureText: string;
  readonly raw: Readonly<Record<string, unknown>>;
}

/** The token, or why it cannot be read. */
export type ParsedHdpHeader = { readonly ok: true; readonly token: HdpToken } | ProvenanceRefusal;

class ParseRefusal extends Error {
  constructor(readonly refusal: ProvenanceRefusal) {
    super(refusal.message);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Reads an `X-HDP-Token` header value; never throws. */
export function parseHdpHeader(header: string): ParsedHdpHeader {
  if (header.length > HDP_HEADER_MAX_LENGTH) return refuse('too_large', `the X-HDP-Token header is longer than ${HDP_HEADER_MAX_LENGTH} characters`);
  if (header.length === 0 || !BASE64URL.test(header) || header.replace(/=+$/, '').length % 4 === 1) {
    return refuse('encoding', 'the X-HDP-Token header is not base64url');
  }
  let json: string;
  try {
    json = utf8.decode(Buffer.from(header, 'base64url'));
  } catch {
    return refuse('encoding', 'the X-HDP-Token header does not decode to UTF-8 text');
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return refuse('json', 'the X-HDP-Token header does not hold JSON');
  }
  try {
    return { ok: true, token: readToken(value) };
  } catch (error) {
    if (error instanceof ParseRefusal) return error.refusal;
    if (error instanceof FieldError) return refuse('malformed', `the HDP token's ${error.message}`);
    throw error;
  }
}

function readToken(value: unknown): HdpToken {
  const raw = object(value, 'token');
  const version = string(raw.hdp, 'hdp');
  if (!SUPPORTED_VERSIONS.includes(version))
    throw new ParseRefusal(refuse('version_unsupported', `HDP version ${JSON.stringify(version.slice(0, 16))} is not supported (only 0.1)`));
  const header = object(raw.header, 'header');
  const principal = object(raw.principal, 'principal');
  const signature = object(raw.signature, 'signature');
  const alg = string(signature.alg, 'signature.alg');
  if (alg !== 'Ed25519')
    throw new ParseRefusal(refuse('algorithm_unsupported', `signature algorithm ${JSON.stringify(alg.slice(0, 16))} is not supported (only Ed25519)`));
  const chainValues = arrayOf(raw.chain, 'chain', (hop) => hop);
  if (chainValues.length > HDP_CHAIN_MAX_HOPS)
    throw new ParseRefusal(refuse('too_large', `the chain has ${chainValues.length} hops, more than the ${HDP_CHAIN_MAX_HOPS} Keyward reads`));
  const rootSignatureText = string(signature.value, 'signature.value');
  return {
    tokenId: nonEmptyString(header.token_id, 'header.token_id'),
    issuedAt: count(header.issued_at, 'header.issued_at'),
    expiresAt: count(header.expires_at, 'header.expires_at'),
    sessionId: string(header.session_id, 'header.session_id'),
    principal: { id: nonEmptyString(principal.id, 'principal.id'), idType: oneOf(principal.id_type, 'principal.id_type', HDP_PRINCIPAL_ID_TYPES) },
    scope: readScope(raw.scope),
    chain: chainValues.map(readHop),
    kid: nonEmptyString(signature.kid, 'signature.kid'),
    rootSignature: signatureBytes(rootSignatureText, 'signature.value'),
    rootSignatureText,
    raw,
  };
}

function readScope(value: unknown): HdpScope {
  const scope = object(value, 'scope');
  return {
    intent: string(scope.intent, 'scope.intent'),
    ...(scope.authorized_tools === undefined ? {} : { authorizedTools: arrayOf(scope.authorized_tools, 'scope.authorized_tools', string) }),
    ...(scope.authorized_resources === undefined ? {} : { authorizedResources: arrayOf(scope.authorized_resources, 'scope.authorized_resources', string) }),
    dataClassification: oneOf(scope.data_classification, 'scope.data_classification', HDP_DATA_CLASSIFICATIONS),
    networkEgress: boolean(scope.network_egress, 'scope.network_egress'),
    persistence: boolean(scope.persistence, 'scope.persistence'),
    ...(scope.max_hops === undefined ? {} : { maxHops: integerIn(scope.max_hops, 'scope.max_hops', 1, Number.MAX_SAFE_INTEGER) }),
  };
}

function readHop(value: unknown, index: number): HdpHop {
  const path = `chain[${index}]`;
  const raw = object(value, path);
  return {
    seq: integerIn(raw.seq, `${path}.seq`, 1, Number.MAX_SAFE_INTEGER),
    agentId: nonEmptyString(raw.agent_id, `${path}.agent_id`),
    agentType: oneOf(raw.agent_type, `${path}.agent_type`, AGENT_TYPES),
    parentHop: count(raw.parent_hop, `${path}.parent_hop`),
    timestamp: count(raw.timestamp, `${path}.timestamp`),
    actionSummary: string(raw.action_summary, `${path}.action_summary`),
    signature: signatureBytes(string(raw.hop_signature, `${path}.hop_signature`), `${path}.hop_signature`),
    raw,
  };
}

function signatureBytes(text: string, path: string): Buffer {
  if (!UNPADDED_BASE64URL.test(text)) throw new FieldError(path, 'must be unpadded base64url');
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.length !== SIGNATURE_BYTES)
    throw new ParseRefusal(refuse('signature_length', `${path} is ${bytes.length} bytes, not the ${SIGNATURE_BYTES} of an Ed25519 signature`));
  return bytes;
}
