import { describe, expect, it } from 'vitest';
import { messagesCodec } from '../anthropic/messages/request.js';
import { generateContentCodec } from '../gemini/generate-content/request.js';
import { responsesCodec } from '../openai/responses/request.js';
import { capturedTranscript } from './transcript.js';

describe('the captured conversation', () => {
  it('reads an Anthropic request: the system prompt, an image, a tool use and its result as a tool message', () => {
    const transcript = messagesCodec.transcript({
      system: [{ type: 'text', text: 'Be brief.' }],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } },
          ],
        },
        { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'identify', input: { kind: 'photo' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'A cat.' }] },
      ],
    });
    expect(transcript).toEqual([
      { role: 'system', text: 'Be brief.', toolCalls: [], images: 0 },
      { role: 'user', text: 'What is this?', toolCalls: [], images: 1 },
      { role: 'assistant', text: '', toolCalls: [{ name: 'identify', arguments: '{"kind":"photo"}' }], images: 0 },
      { role: 'tool', text: 'A cat.', toolCalls: [], images: 0 },
    ]);
  });

  it('reads a Gemini request, calling the model role assistant', () => {
    const transcript = generateContentCodec.transcript({
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
      contents: [
        { role: 'user', parts: [{ text: 'Weather?' }, { inlineData: { mimeType: 'image/jpeg', data: 'AAAA' } }] },
        { role: 'model', parts: [{ functionCall: { name: 'weather', args: { city: 'Oslo' } } }] },
        { role: 'user', parts: [{ functionResponse: { name: 'weather', response: { sky: 'grey' } } }] },
      ],
    });
    expect(transcript.map((m) => [m.role, m.text, m.images, m.toolCalls])).toEqual([
      ['system', 'Be brief.', 0, []],
      ['user', 'Weather?', 1, []],
      ['assistant', '', 0, [{ name: 'weather', arguments: '{"city":"Oslo"}' }]],
      ['tool', '{"sky":"grey"}', 0, []],
    ]);
  });

  it('reads a Responses request, joining consecutive function calls into one assistant turn', () => {
    const transcript = responsesCodec.transcript({
      instructions: 'Be brief.',
      input: [
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'Compare' },
            { type: 'input_image', image_url: 'https://example.com/a.png' },
          ],
        },
        { type: 'function_call', name: 'a', arguments: '{}' },
        { type: 'function_call', name: 'b', arguments: '{"x":1}' },
        { type: 'function_call_output', output: 'done' },
      ],
    });
    expect(transcript.map((m) => [m.role, m.images, m.toolCalls.map((c) => c.name)])).toEqual([
      ['system', 0, []],
      ['user', 1, []],
      ['assistant', 0, ['a', 'b']],
      ['tool', 0, []],
    ]);
  });

  it('adds the answer, and stays within the capture limit, saying what it left out', () => {
    const request = [1, 2, 3, 4].map((n) => ({ role: 'user', text: 'x'.repeat(40) + n, toolCalls: [], images: 0 }));
    const out = capturedTranscript(request, { reply: 'ok', toolCalls: [] }, 100);
    expect(out.map((m) => m.role)).toEqual(['user', 'user', 'user', 'keyward']);
    expect(out[2]!.text).toMatch(/…\[truncated\]$/);
    expect(out[3]!.text).toBe('2 more message(s) not captured: over the 100-character capture limit.');
    expect(capturedTranscript(request.slice(0, 1), { reply: 'ok', toolCalls: [] }, 1000).at(-1)).toEqual({
      role: 'assistant',
      text: 'ok',
      toolCalls: [],
      images: 0,
    });
  });
});
