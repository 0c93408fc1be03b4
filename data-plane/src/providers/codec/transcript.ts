import type { TranscriptMessage, TranscriptToolCall } from '@keyward/shared';
import { truncateText } from '../../streaming/collector.js';

/** A tool call's arguments as JSON text, whatever shape the API carries them in (a JSON string or an object). */
export function argumentsText(args: unknown): string {
  if (typeof args === 'string') return args;
  return args === undefined ? '' : JSON.stringify(args);
}

/** One transcript message. */
export function transcriptMessage(role: string, text: string, toolCalls: readonly TranscriptToolCall[] = [], images = 0): TranscriptMessage {
  return { role, text, toolCalls, images };
}

/** Part types that carry media rather than text: recorded as a count, never kept. */
export const MEDIA_PART_TYPES = new Set(['image', 'image_url', 'input_image', 'input_audio', 'input_file', 'file', 'document', 'audio']);

/**
 * The conversation sent upstream followed by the answer (when the provider said anything), cut
 * to `maxChars` characters of text and arguments in all: later messages are shortened, then
 * dropped, with a note saying so, so a long history cannot make an event unbounded.
 */
export function capturedTranscript(
  request: readonly TranscriptMessage[],
  answer: { readonly reply: string; readonly toolCalls: readonly TranscriptToolCall[] },
  maxChars: number,
): TranscriptMessage[] {
  const answered = answer.reply !== '' || answer.toolCalls.length > 0;
  const messages = answered ? [...request, transcriptMessage('assistant', answer.reply, answer.toolCalls)] : request;
  let left = maxChars;
  const out: TranscriptMessage[] = [];
  for (const message of messages) {
    if (left <= 0) {
      out.push(transcriptMessage('keyward', `${messages.length - out.length} more message(s) not captured: over the ${maxChars}-character capture limit.`));
      break;
    }
    const text = truncateText(message.text, left);
    left -= text.length;
    const toolCalls = message.toolCalls.map((call) => {
      const args = truncateText(call.arguments, Math.max(left, 0));
      left -= args.length;
      return { name: call.name, arguments: args };
    });
    out.push({ ...message, text, toolCalls });
  }
  return out;
}
