import type { TranscriptToolCall } from '@keyward/shared';
import { argumentsText } from '../providers/codec/transcript.js';
import type { Operation } from '../providers/types.js';

/**
 * What the answer said: all its text (tool-call arguments of a stream included: what token
 * estimates and the captured response read), and when the org captures content its own words
 * and the tool calls it made, apart.
 */
export interface AnswerContent {
  readonly text: string;
  readonly reply: string;
  readonly toolCalls: readonly TranscriptToolCall[];
}

/** The answer's content, computed only if someone asks (capture, usage estimate). */
export type ResponseText = () => AnswerContent;

/** No answer to read: a failure before or from the provider. */
export const NO_ANSWER: ResponseText = () => ({ text: '', reply: '', toolCalls: [] });

/** The content of a whole answer; its tool calls only when capturing. */
export function wholeAnswer(op: Operation, json: unknown, capture: boolean): AnswerContent {
  if (!capture) return { text: op.responseText(json), reply: '', toolCalls: [] };
  const inspector = op.answers.inspector();
  inspector.body(json);
  return { text: op.responseText(json), reply: inspector.text(), toolCalls: answerToolCalls(inspector.toolCalls()) };
}

/** The content of a streamed answer from its events' data; its tool calls only when capturing. */
export function streamedAnswer(op: Operation, events: readonly unknown[], capture: boolean): AnswerContent {
  const text = events.map((json) => op.streamText(json)).join('');
  if (!capture) return { text, reply: '', toolCalls: [] };
  const inspector = op.answers.inspector();
  for (const json of events) inspector.event(null, json);
  return { text, reply: inspector.text(), toolCalls: answerToolCalls(inspector.toolCalls()) };
}

function answerToolCalls(calls: readonly { name: string; arguments: unknown }[]): TranscriptToolCall[] {
  return calls.map((call) => ({ name: call.name, arguments: argumentsText(call.arguments) }));
}
