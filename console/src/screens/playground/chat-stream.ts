/** Where the console posts a playground turn; the control plane relays it to the gateway as the chosen key. */
const PLAYGROUND_CHAT_PATH = '/v1/playground/chat';

/** One turn of a chat, as shown and as saved. */
export interface ChatMessage {
  role: 'user' | 'assistant';
  content: string;
  /** An assistant turn's gateway request id (its usage event's `requestId`). */
  requestId: string | null;
  /** The HTTP status the gateway (or the relay) answered with. */
  status: number | null;
  /** The gateway's error code when it refused or failed (`blocked`, `budget_exceeded`, …). */
  errorCode: string | null;
}

/** The SSE comment a stream held for approval receives while it waits (the data plane's `HOLD_COMMENT`). */
const HOLD_COMMENT = 'keyward-hold';

/** What a turn reports while it streams. */
export interface TurnListener {
  /** The answer so far, after each text delta. */
  text(sofar: string): void;
  /** The gateway holds the request until someone decides it in Approvals. */
  held(): void;
}

/** What the gateway did with one turn: its answer as it streamed, or its refusal. */
export interface TurnOutcome {
  readonly status: number;
  readonly requestId: string | null;
  readonly text: string;
  readonly errorCode: string | null;
  readonly errorMessage: string | null;
}

/** What one turn sends: the key chosen, its pasted secret (never saved) and the OpenAI chat request. */
export interface TurnRequest {
  readonly keyId: string;
  readonly secret: string;
  readonly request: Record<string, unknown>;
}

/** The OpenAI chat request a conversation's turns make: streamed, with usage in the last chunk. */
export function chatRequest(model: string, messages: readonly ChatMessage[]): Record<string, unknown> {
  return {
    model,
    stream: true,
    stream_options: { include_usage: true },
    messages: answeredTurns(messages).map((m) => ({ role: m.role, content: m.content })),
  };
}

/**
 * The turns the model saw: a refused exchange (the prompt and the refusal) never reached it,
 * and sending that prompt again with every later turn would only be refused again.
 */
function answeredTurns(messages: readonly ChatMessage[]): ChatMessage[] {
  const kept: ChatMessage[] = [];
  for (const message of messages) {
    if (message.role === 'assistant' && message.errorCode !== null) {
      if (kept.at(-1)?.role === 'user') kept.pop();
    } else if (message.content !== '') {
      kept.push(message);
    }
  }
  return kept;
}

/**
 * Sends one turn and reads the answer: the text so far goes to `listener.text` as each delta
 * arrives, a hold to `listener.held`; a refusal (a JSON error body, or an error event in the
 * stream) comes back as its code and message. `signal` stops reading (the relay then stops the
 * gateway call).
 */
export async function streamTurn(turn: TurnRequest, listener: TurnListener, signal?: AbortSignal): Promise<TurnOutcome> {
  const res = await fetch(PLAYGROUND_CHAT_PATH, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(turn),
    signal,
  });
  // Only an answer from the gateway has one: the relay's own refusals (wrong secret, no gateway) do not.
  const requestId = res.headers.get('x-keyward-gateway-request-id');
  if (!res.ok || !(res.headers.get('content-type') ?? '').includes('text/event-stream')) {
    const failure = errorOf(await res.text());
    return { status: res.status, requestId, text: '', errorCode: failure?.code ?? null, errorMessage: failure?.message ?? (res.ok ? null : res.statusText) };
  }
  let text = '';
  let error: { code: string | null; message: string } | null = null;
  const parser = new SseParser(
    (data) => {
      if (data === '[DONE]') return;
      const failure = errorOf(data);
      if (failure) return void (error = failure);
      const delta = deltaOf(data);
      if (delta) {
        text += delta;
        listener.text(text);
      }
    },
    (comment) => {
      if (comment === HOLD_COMMENT) listener.held();
    },
  );
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parser.push(value);
  }
  const failed = error as { code: string | null; message: string } | null;
  return { status: res.status, requestId, text, errorCode: failed?.code ?? null, errorMessage: failed?.message ?? null };
}

/** Splits server-sent events into their `data:` payloads and comments, across chunk boundaries. */
export class SseParser {
  private buffer = '';
  constructor(
    private readonly onData: (data: string) => void,
    private readonly onComment: (comment: string) => void = () => undefined,
  ) {}

  /** Feeds the next piece of the stream; whole events are handed on, the rest waits for more. */
  push(chunk: string): void {
    this.buffer += chunk.replace(/\r\n/g, '\n');
    let end = this.buffer.indexOf('\n\n');
    while (end >= 0) {
      const lines = this.buffer.slice(0, end).split('\n');
      this.buffer = this.buffer.slice(end + 2);
      for (const line of lines) if (line.startsWith(':')) this.onComment(line.slice(1).trim());
      const data = lines
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).replace(/^ /, ''))
        .join('\n');
      if (data) this.onData(data);
      end = this.buffer.indexOf('\n\n');
    }
  }
}

/** The text a chat completions chunk adds, if any. */
function deltaOf(data: string): string {
  try {
    const chunk = JSON.parse(data) as { choices?: { delta?: { content?: unknown } }[] };
    const content = chunk.choices?.[0]?.delta?.content;
    return typeof content === 'string' ? content : '';
  } catch {
    return '';
  }
}

/** `{ error: { code, message } }` (the gateway's and the relay's shape), or null. */
function errorOf(body: string): { code: string | null; message: string } | null {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown; message?: unknown } };
    if (!parsed.error || typeof parsed.error !== 'object') return null;
    return {
      code: typeof parsed.error.code === 'string' ? parsed.error.code : null,
      message: typeof parsed.error.message === 'string' ? parsed.error.message : 'The request failed.',
    };
  } catch {
    return null;
  }
}
