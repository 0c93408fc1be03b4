import { describe, expect, it } from 'vitest';
import { chatRequest, SseParser, type ChatMessage } from './chat-stream';

describe('the playground stream parser', () => {
  it('hands on each event’s data and comments once whole, across chunk boundaries', () => {
    const seen: string[] = [];
    const comments: string[] = [];
    const parser = new SseParser(
      (data) => seen.push(data),
      (comment) => comments.push(comment),
    );
    parser.push(': keyward-hold\n\ndata: {"a":');
    expect(seen).toEqual([]);
    expect(comments).toEqual(['keyward-hold']);
    parser.push('1}\r\n\r\ndata: [DONE]\n');
    parser.push('\n');
    expect(seen).toEqual(['{"a":1}', '[DONE]']);
  });
});

describe('a playground chat request', () => {
  it('streams, asks for usage, and leaves refused exchanges out of what the model is shown', () => {
    const turn = (role: ChatMessage['role'], content: string, errorCode: string | null = null): ChatMessage => ({
      role,
      content,
      requestId: null,
      status: null,
      errorCode,
    });
    const request = chatRequest('gpt-4o-mini', [
      turn('user', 'hello'),
      turn('assistant', 'hi'),
      turn('user', 'secret'),
      turn('assistant', 'Blocked', 'blocked'),
      turn('user', 'again'),
    ]);
    expect(request).toEqual({
      model: 'gpt-4o-mini',
      stream: true,
      stream_options: { include_usage: true },
      messages: [
        { role: 'user', content: 'hello' },
        { role: 'assistant', content: 'hi' },
        { role: 'user', content: 'again' },
      ],
    });
  });
});
