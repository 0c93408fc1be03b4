import { DETECTORS } from '../pii/detectors/index.js';
import { DETECTOR_NAMES, type Finding } from '../pii/types.js';
import type { RequestContext, ResponseContext, ToolCall } from './context.js';

/** Which text a condition reads. */
export const TextSource = { Prompt: 0, System: 1, Completion: 2 } as const;
export type TextSource = (typeof TextSource)[keyof typeof TextSource];

/** Which list of tool calls a condition reads: the conversation's, or the answer's. */
export const CallSource = { History: 0, Answer: 1 } as const;
export type CallSource = (typeof CallSource)[keyof typeof CallSource];

const DETECTOR_LIST = DETECTOR_NAMES.map((name) => DETECTORS[name]);
const UNKNOWN = 0;
const FOUND = 1;
const ABSENT = 2;
const UNPARSED: unique symbol = Symbol('unparsed');
const EMPTY_CALLS: readonly ToolCall[] = [];

/**
 * Per-evaluation state: the contexts and everything derived from them lazily (the joined
 * prompt, detector results, parsed tool-call arguments), so each costly step runs at most once
 * per evaluation and only if a condition that needs it is reached. A compiled set reuses one
 * instance: evaluation is synchronous, so no two evaluations overlap.
 */
export class EvalState {
  request!: RequestContext;
  response: ResponseContext | null = null;
  private promptText: string | null = null;
  private readonly pii = new Int8Array(DETECTOR_LIST.length * 3);
  private piiDirty = false;
  private readonly parsedArgs: [unknown[] | null, unknown[] | null] = [null, null];
  private readonly scratch: Finding[] = [];

  /** Starts a new evaluation. */
  reset(request: RequestContext, response: ResponseContext | null): void {
    this.request = request;
    this.response = response;
    this.promptText = null;
    if (this.piiDirty) {
      this.pii.fill(UNKNOWN);
      this.piiDirty = false;
    }
    this.parsedArgs[0] = null;
    this.parsedArgs[1] = null;
  }

  /** The text of every message, joined by newlines, computed on first use. */
  prompt(): string {
    if (this.promptText === null) {
      const messages = this.request.messages;
      if (messages.length === 1) this.promptText = messages[0].text;
      else {
        let text = '';
        for (let i = 0; i < messages.length; i++) text += i === 0 ? messages[i].text : `\n${messages[i].text}`;
        this.promptText = text;
      }
    }
    return this.promptText;
  }

  text(source: TextSource): string {
    if (source === TextSource.Prompt) return this.prompt();
    if (source === TextSource.System) return this.request.systemText;
    return this.response?.text ?? '';
  }

  /** Whether detector number `detector` (index in `DETECTOR_NAMES`) finds anything in the text. */
  hasPii(source: TextSource, detector: number): boolean {
    const slot = source * DETECTOR_LIST.length + detector;
    const known = this.pii[slot];
    if (known !== UNKNOWN) return known === FOUND;
    this.scratch.length = 0;
    DETECTOR_LIST[detector].scan(this.text(source), this.scratch, 1);
    const found = this.scratch.length > 0;
    this.scratch.length = 0;
    this.pii[slot] = found ? FOUND : ABSENT;
    this.piiDirty = true;
    return found;
  }

  calls(source: CallSource): readonly ToolCall[] {
    return source === CallSource.History ? this.request.toolCalls : (this.response?.toolCalls ?? EMPTY_CALLS);
  }

  /**
   * The arguments of call `index`, parsed from JSON text when the API delivered them as a
   * string (OpenAI does); text that is not JSON stays a string.
   */
  args(source: CallSource, index: number): unknown {
    const calls = this.calls(source);
    let cache = this.parsedArgs[source];
    if (cache === null) {
      cache = Array.from({ length: calls.length }, () => UNPARSED);
      this.parsedArgs[source] = cache;
    }
    let value = cache[index];
    if (value === UNPARSED) {
      const raw = calls[index].arguments;
      value = raw;
      if (typeof raw === 'string') {
        try {
          value = JSON.parse(raw);
        } catch {
          value = raw;
        }
      }
      cache[index] = value;
    }
    return value;
  }
}
