/**
 * Seeded synthetic traffic for the anomaly evaluation: organizations of keys with their own
 * habits (working-hours agents, nightly batches, always-on services), diurnal and weekly cycles,
 * bursty sessions, models adopted gradually, client redeployments and serverless callers whose
 * addresses rotate; and labelled incidents injected into some keys.
 */
import type { RequestFacts } from '@keyward/shared';
import { Random } from './random.js';

/** Monday 2026-01-05 00:00 UTC: simulated time starts on a Monday. */
export const SIMULATION_START = Date.UTC(2026, 0, 5);
export const MINUTE_MS = 60_000;
export const MINUTES_PER_WEEK = 7 * 24 * 60;

export const INCIDENT_KINDS = ['runaway loop', 'leaked key', 'prompt explosion', 'dangerous tool', 'spend creep'] as const;
export type IncidentKind = (typeof INCIDENT_KINDS)[number];

interface Incident {
  readonly kind: IncidentKind;
  /** Minute of the simulation it starts in, and the ms offset in that minute. */
  readonly onset: number;
  readonly durationMinutes: number;
}

interface Organization {
  readonly id: number;
  readonly models: readonly string[];
  readonly tools: readonly string[];
  /** The addresses its hosts call from: keys of one organization share them. */
  readonly egress: readonly string[];
}

type Habit = 'office' | 'batch' | 'service';

export interface KeyProfile {
  readonly id: string;
  readonly organization: Organization;
  /** First minute the key exists (keys created during the run start with no history). */
  readonly createdAt: number;
  readonly habit: Habit;
  /** Requests per minute while in a session. */
  readonly rate: number;
  readonly batchHour: number;
  readonly models: string[];
  readonly adoption: { readonly model: string; readonly from: number; readonly span: number } | null;
  readonly endpoints: readonly string[];
  readonly tools: readonly string[];
  readonly clients: string[];
  readonly serverless: boolean;
  sdk: string;
  sdkVersion: number;
  readonly promptMedian: number;
  readonly completionMedian: number;
  readonly pricePerToken: number;
  readonly errorShare: number;
  readonly blockShare: number;
  inSession: boolean;
  clientSerial: number;
  readonly incident: Incident | null;
}

/** A simulated request; `incident` marks the ones an incident made or changed. */
export interface SimulatedRequest extends RequestFacts {
  readonly incident: boolean;
}

export interface Population {
  readonly keys: readonly KeyProfile[];
  readonly minutes: number;
}

const ENDPOINTS = ['chat/completions', 'responses', 'messages', 'embeddings', 'generateContent'];
const MODELS = ['gpt-4.1', 'gpt-4.1-mini', 'gpt-5', 'gpt-5-mini', 'claude-sonnet-4', 'claude-haiku-4', 'gemini-2.5-pro', 'gemini-2.5-flash', 'o4-mini'];
const TOOLS = ['search_docs', 'get_weather', 'lookup_order', 'create_ticket', 'send_email', 'read_file', 'run_sql', 'list_calendar', 'summarize'];
const SDKS = ['openai-python', 'openai-node', 'anthropic-python', 'anthropic-typescript', 'google-genai'];
const DANGEROUS_TOOLS = ['transfer_funds', 'delete_repository', 'grant_admin', 'exec_shell'];

/** Builds `keyCount` keys over `weeks` weeks; a share of them get one incident after the first week. */
export function buildPopulation(seed: number, keyCount: number, weeks: number): Population {
  const random = new Random(seed);
  const minutes = weeks * MINUTES_PER_WEEK;
  const organizations: Organization[] = Array.from({ length: Math.max(2, Math.round(keyCount / 30)) }, (_, id) => ({
    id,
    models: shuffled(random, MODELS).slice(0, random.integer(3, 6)),
    tools: shuffled(random, TOOLS).slice(0, random.integer(2, 6)),
    egress: Array.from({ length: random.integer(3, 8) }, (_, n) => `egress-${id}-${n}`),
  }));
  const keys: KeyProfile[] = [];
  for (let index = 0; index < keyCount; index++) {
    const organization = random.pick(organizations);
    const models = shuffled(random, organization.models).slice(0, random.integer(1, 2));
    const spare = organization.models.filter((m) => !models.includes(m));
    const habit: Habit = random.chance(0.6) ? 'office' : random.chance(0.5) ? 'batch' : 'service';
    const incident = index % 4 === 3 ? planIncident(random, INCIDENT_KINDS[(index >> 2) % INCIDENT_KINDS.length]!, minutes) : null;
    keys.push({
      id: `key-${index}`,
      organization,
      createdAt: random.chance(0.1) ? random.integer(MINUTES_PER_WEEK, Math.max(MINUTES_PER_WEEK, minutes - 2 * 24 * 60)) : 0,
      habit,
      rate: random.logNormal(habit === 'batch' ? 8 : 3, 0.8),
      batchHour: random.integer(0, 23),
      models,
      adoption:
        spare.length > 0 && random.chance(0.3) ? { model: random.pick(spare), from: random.integer(0, minutes), span: random.integer(2, 7) * 24 * 60 } : null,
      endpoints: shuffled(random, ENDPOINTS).slice(0, random.integer(1, 2)),
      tools: random.chance(0.5) ? shuffled(random, organization.tools).slice(0, random.integer(1, 3)) : [],
      clients: shuffled(random, organization.egress).slice(0, random.integer(1, 3)),
      serverless: random.chance(0.2),
      sdk: random.pick(SDKS),
      sdkVersion: 0,
      promptMedian: random.logNormal(1200, 1),
      completionMedian: random.logNormal(300, 0.7),
      pricePerToken: random.between(0.2, 15),
      errorShare: random.between(0.002, 0.03),
      blockShare: random.chance(0.3) ? random.between(0.001, 0.02) : 0,
      inSession: false,
      clientSerial: 10,
      incident,
    });
  }
  return { keys, minutes };
}

function planIncident(random: Random, kind: IncidentKind, minutes: number): Incident {
  const durationMinutes = kind === 'spend creep' ? 7 * 24 * 60 : kind === 'runaway loop' ? 10 : 30;
  const latest = Math.max(MINUTES_PER_WEEK + 1, minutes - durationMinutes - 60);
  return { kind, onset: random.integer(MINUTES_PER_WEEK + 60, latest), durationMinutes };
}

function shuffled<T>(random: Random, items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

/** The chance a session starts in this minute, by habit, hour and weekday. */
function sessionStart(key: KeyProfile, minute: number): number {
  const hour = Math.floor(minute / 60) % 24;
  const weekday = Math.floor(minute / (24 * 60)) % 7 < 5;
  switch (key.habit) {
    case 'office':
      return weekday && hour >= 8 && hour < 18 ? 0.02 : weekday && hour >= 7 && hour < 21 ? 0.003 : 0.0003;
    case 'batch':
      return hour === key.batchHour ? 0.05 : 0;
    case 'service':
      return 0.01 * (1.2 + Math.sin(((hour - 8) / 24) * 2 * Math.PI)) * (weekday ? 1 : 0.5);
  }
}

/** The requests a key makes in one minute, with their onsets sorted; advances the key's state. */
export function requestsInMinute(random: Random, key: KeyProfile, minute: number): SimulatedRequest[] {
  if (minute < key.createdAt) return [];
  maybeRedeploy(random, key, minute);
  const incident = key.incident !== null && minute >= key.incident.onset && minute < key.incident.onset + key.incident.durationMinutes ? key.incident : null;
  // Prompts and tools change while the key works; the other incidents bring their own traffic or ride on the usual.
  const working = incident?.kind === 'prompt explosion' || incident?.kind === 'dangerous tool';
  key.inSession = working || (key.inSession ? random.chance(0.92) : random.chance(sessionStart(key, minute)));
  const requests: SimulatedRequest[] = [];
  if (key.inSession) {
    // Bursty: the minute's rate varies around the key's own (a gamma-like spread), sometimes a lot.
    const burst = random.chance(0.05) ? random.between(2, 4) : random.logNormal(1, 0.4);
    const creep = incident?.kind === 'spend creep' ? 1 + (3 * (minute - incident.onset)) / incident.durationMinutes : 1;
    const count = random.poisson(key.rate * burst * (incident?.kind === 'spend creep' ? Math.sqrt(creep) : 1));
    for (let i = 0; i < count; i++) requests.push(ordinaryRequest(random, key, minute, creep, incident));
  }
  if (incident !== null) requests.push(...incidentRequests(random, key, minute, incident));
  return requests.sort((a, b) => a.at - b.at);
}

function maybeRedeploy(random: Random, key: KeyProfile, minute: number): void {
  // About every three weeks a key's client is redeployed with the SDK's latest release (one a
  // week), sometimes on another host: one of the organization's, or now and then a new one.
  if (!random.chance(1 / (21 * 24 * 60))) return;
  key.sdkVersion = Math.floor(minute / MINUTES_PER_WEEK);
  // Now and then a team rewrites its agent on another SDK.
  if (random.chance(0.05)) key.sdk = random.pick(SDKS);
  if (random.chance(0.3)) {
    const host = random.chance(0.5) ? random.pick(key.organization.egress) : `ip-${key.id}-r${key.clientSerial++}`;
    key.clients[random.integer(0, key.clients.length - 1)] = host;
  }
}

function userAgent(key: KeyProfile): { userAgentHash: string; userAgentFamilyHash: string } {
  return { userAgentHash: `${key.sdk}/1.${key.sdkVersion}`, userAgentFamilyHash: `${key.sdk}/` };
}

function ordinaryRequest(random: Random, key: KeyProfile, minute: number, creep: number, incident: Incident | null): SimulatedRequest {
  // Serverless callers get an address from their cloud's large pool now and then.
  if (key.serverless && random.chance(0.01)) key.clients[random.integer(0, key.clients.length - 1)] = `cloud-${key.organization.id}-${random.integer(0, 500)}`;
  let model = random.pick(key.models);
  if (key.adoption !== null && minute >= key.adoption.from && random.chance(Math.min(1, (minute - key.adoption.from) / key.adoption.span) * 0.5)) {
    model = key.adoption.model;
  }
  const explosion = incident?.kind === 'prompt explosion' ? random.between(20, 60) : 1;
  const promptTokens = Math.round(random.logNormal(key.promptMedian, 0.6) * explosion);
  const completionTokens = Math.round(random.logNormal(key.completionMedian, 0.7) * creep);
  const blocked = random.chance(key.blockShare);
  const failed = !blocked && random.chance(key.errorShare);
  const tools = key.tools.length > 0 && random.chance(0.6) ? key.tools.filter(() => random.chance(0.7)) : [];
  const dangerous = incident?.kind === 'dangerous tool' && random.chance(0.5);
  if (dangerous) tools.push(dangerousTool(key));
  return {
    incident: explosion > 1 || dangerous || creep > 1,
    at: SIMULATION_START + minute * MINUTE_MS + Math.floor(random.next() * MINUTE_MS),
    model,
    endpoint: random.pick(key.endpoints),
    tools,
    clientIpHash: random.pick(key.clients),
    ...userAgent(key),
    promptTokens,
    completionTokens,
    costMicros: blocked ? 0 : Math.round(((promptTokens + 4 * completionTokens) * key.pricePerToken) / 1000),
    failed,
    blocked,
  };
}

/** A different tool for each incident, so one key's incident does not teach its organization the next one's. */
function dangerousTool(key: KeyProfile): string {
  const n = Number(key.id.slice('key-'.length));
  const base = DANGEROUS_TOOLS[n % DANGEROUS_TOOLS.length]!;
  return n < DANGEROUS_TOOLS.length ? base : `${base}_${Math.floor(n / DANGEROUS_TOOLS.length)}`;
}

function incidentRequests(random: Random, key: KeyProfile, minute: number, incident: Incident): SimulatedRequest[] {
  const start = SIMULATION_START + minute * MINUTE_MS;
  if (incident.kind === 'runaway loop') {
    // An agent retrying the same call as fast as the answers come back, most of them failing.
    const perSecond = 2 + ((key.id.length * 7 + incident.onset) % 9);
    const prompt = Math.round(key.promptMedian);
    return Array.from({ length: perSecond * 60 }, (_, i) => {
      const failed = random.chance(0.5);
      return {
        incident: true,
        at: start + Math.floor((i * 1000) / perSecond),
        model: key.models[0]!,
        endpoint: key.endpoints[0]!,
        tools: [],
        clientIpHash: key.clients[0]!,
        ...userAgent(key),
        promptTokens: prompt,
        completionTokens: failed ? 0 : Math.round(key.completionMedian),
        costMicros: failed ? 0 : Math.round(((prompt + 4 * key.completionMedian) * key.pricePerToken) / 1000),
        failed,
        blocked: false,
      };
    });
  }
  if (incident.kind === 'leaked key') {
    // Someone else's scripts: their own hosts and client, the organization's popular models.
    const count = random.poisson(random.between(5, 20));
    return Array.from({ length: count }, () => {
      const promptTokens = Math.round(random.logNormal(2000, 0.8));
      const completionTokens = Math.round(random.logNormal(500, 0.7));
      return {
        incident: true,
        at: start + Math.floor(random.next() * MINUTE_MS),
        model: random.pick(key.organization.models),
        endpoint: 'chat/completions',
        tools: [],
        clientIpHash: `attacker-ip-${key.id}-${random.integer(0, 2)}`,
        userAgentHash: 'python-requests/2.31',
        userAgentFamilyHash: 'python-requests/',
        promptTokens,
        completionTokens,
        costMicros: Math.round(((promptTokens + 4 * completionTokens) * key.pricePerToken) / 1000),
        failed: false,
        blocked: false,
      };
    });
  }
  return [];
}
