import { describe, expect, it } from 'vitest';
import { messages } from './anthropic/messages/index.js';
import { EXTRACT_ALL } from './codec/request.js';
import { generateContent } from './gemini/generate-content/index.js';
import { chatCompletions } from './openai/chat-completions/index.js';
import { embeddings } from './openai/embeddings/index.js';
import { responses } from './openai/responses/index.js';

const upper = (text: string) => text.toUpperCase();
const NOTHING = { messages: false, systemText: false, toolsOffered: false, toolCalls: false };

describe('request codecs and output caps', () => {
  describe('OpenAI chat completions', () => {
    const body = {
      model: 'gpt-4o',
      max_completion_tokens: 300,
      tools: [
        { type: 'function', function: { name: 'shell_exec' } },
        { type: 'custom', custom: { name: 'grep' } },
      ],
      messages: [
        { role: 'developer', content: 'Be terse.' },
        { role: 'system', content: [{ type: 'text', text: 'No secrets.' }] },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'look' },
            { type: 'image_url', image_url: { url: 'data:…' } },
            { type: 'text', text: 'here' },
          ],
        },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'shell_exec', arguments: '{"cmd":"ls"}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: 'a.txt' },
      ],
    };

    it('reads system and developer messages as the system prompt, the rest as the conversation', () => {
      expect(chatCompletions.request.extract(body, EXTRACT_ALL)).toEqual({
        systemText: 'Be terse.\nNo secrets.',
        messages: [
          { role: 'user', text: 'look\nhere' },
          { role: 'assistant', text: '' },
          { role: 'tool', text: 'a.txt' },
        ],
        toolsOffered: ['shell_exec', 'grep'],
        toolCalls: [{ name: 'shell_exec', arguments: '{"cmd":"ls"}' }],
      });
      expect(chatCompletions.maxOutputTokens(body)).toBe(300);
      expect(chatCompletions.maxOutputTokens({ max_tokens: 50 })).toBe(50);
      expect(chatCompletions.maxOutputTokens({ max_tokens: 'lots' })).toBeNull();
    });

    it('reads nothing it was not asked for', () => {
      expect(chatCompletions.request.extract(body, NOTHING)).toEqual({ systemText: '', messages: [], toolsOffered: [], toolCalls: [] });
    });

    it('rewrites text parts and tool-call arguments, leaving images and every other field alone', () => {
      const out = chatCompletions.request.mapTexts(body, upper) as typeof body;
      expect(out.messages[2].content).toEqual([{ type: 'text', text: 'LOOK' }, body.messages[2].content![1], { type: 'text', text: 'HERE' }]);
      expect(out.messages[3].tool_calls![0].function.arguments).toBe('{"CMD":"LS"}');
      expect(out.tools).toBe(body.tools);
      expect(body.messages[2].content).toEqual([
        { type: 'text', text: 'look' },
        { type: 'image_url', image_url: { url: 'data:…' } },
        { type: 'text', text: 'here' },
      ]);
    });

    it('returns the very same body when no text changed, so the agent’s bytes are forwarded', () => {
      expect(chatCompletions.request.mapTexts(body, (t) => t)).toBe(body);
    });
  });

  it('reads the Responses API’s instructions, items, function calls and their outputs', () => {
    const body = {
      instructions: 'Be brief.',
      max_output_tokens: 64,
      tools: [{ type: 'function', name: 'deploy' }, { type: 'web_search_preview' }],
      input: [
        { role: 'developer', content: 'Use tools.' },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'ship' }] },
        { type: 'function_call', call_id: 'c', name: 'deploy', arguments: '{}' },
        { type: 'function_call_output', call_id: 'c', output: 'done' },
        { type: 'reasoning', id: 'r', summary: [] },
      ],
    };
    expect(responses.request.extract(body, EXTRACT_ALL)).toEqual({
      systemText: 'Be brief.\nUse tools.',
      messages: [
        { role: 'user', text: 'ship' },
        { role: 'tool', text: 'done' },
      ],
      toolsOffered: ['deploy', 'web_search_preview'],
      toolCalls: [{ name: 'deploy', arguments: '{}' }],
    });
    expect(responses.maxOutputTokens(body)).toBe(64);
    const out = responses.request.mapTexts(body, upper) as typeof body;
    expect(out.instructions).toBe('BE BRIEF.');
    expect(out.input[4]).toBe(body.input[4]);
    expect(responses.request.mapTexts({ input: 'hello' }, upper)).toEqual({ input: 'HELLO' });
  });

  it('reads embeddings input strings and skips token arrays', () => {
    expect(embeddings.request.extract({ input: ['a', [1, 2], 'b'] }, EXTRACT_ALL).messages).toEqual([
      { role: 'user', text: 'a' },
      { role: 'user', text: 'b' },
    ]);
    expect(embeddings.request.mapTexts({ input: ['a', [1, 2]] }, upper)).toEqual({ input: ['A', [1, 2]] });
    expect(embeddings.maxOutputTokens({ input: 'a', max_tokens: 10 })).toBe(0);
  });

  it('reads Anthropic system blocks, tool results and tool_use blocks, and never rewrites thinking', () => {
    const body = {
      max_tokens: 1024,
      system: [{ type: 'text', text: 'Sys' }],
      tools: [{ name: 'bash', type: 'bash_20250124' }],
      messages: [
        { role: 'user', content: 'hi' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'secret thoughts', signature: 'sig' },
            { type: 'tool_use', id: 't', name: 'bash', input: { command: 'ls' } },
          ],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: 'a.txt' }] },
      ],
    };
    expect(messages.request.extract(body, EXTRACT_ALL)).toEqual({
      systemText: 'Sys',
      messages: [
        { role: 'user', text: 'hi' },
        { role: 'assistant', text: '' },
        { role: 'user', text: 'a.txt' },
      ],
      toolsOffered: ['bash'],
      toolCalls: [{ name: 'bash', arguments: { command: 'ls' } }],
    });
    expect(messages.maxOutputTokens(body)).toBe(1024);
    const out = messages.request.mapTexts(body, upper) as typeof body;
    expect((out.messages[1].content as unknown[])[0]).toBe(body.messages[1].content[0]);
    expect((out.messages[1].content as { input?: unknown }[])[1].input).toEqual({ command: 'LS' });
  });

  it('reads Gemini contents in camelCase or snake_case, function calls and declarations, and skips thoughts', () => {
    const body = {
      system_instruction: { parts: [{ text: 'Sys' }] },
      generationConfig: { maxOutputTokens: 99 },
      tools: [{ functionDeclarations: [{ name: 'get_weather' }] }, { googleSearch: {} }],
      contents: [
        { role: 'user', parts: [{ text: 'weather?' }] },
        { role: 'model', parts: [{ text: 'hmm', thought: true }, { functionCall: { name: 'get_weather', args: { city: 'Rome' } } }] },
        { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { temp: 20 } } }] },
      ],
    };
    expect(generateContent.request.extract(body, EXTRACT_ALL)).toEqual({
      systemText: 'Sys',
      messages: [
        { role: 'user', text: 'weather?' },
        { role: 'model', text: '' },
        { role: 'user', text: '{"temp":20}' },
      ],
      toolsOffered: ['get_weather', 'googleSearch'],
      toolCalls: [{ name: 'get_weather', arguments: { city: 'Rome' } }],
    });
    expect(generateContent.maxOutputTokens(body)).toBe(99);
    expect(generateContent.maxOutputTokens({ generation_config: { max_output_tokens: 7 } })).toBe(7);
    const out = generateContent.request.mapTexts(body, upper) as typeof body;
    expect(out.system_instruction.parts[0].text).toBe('SYS');
    expect(out.contents[1].parts[0]).toBe(body.contents[1].parts[0]);
    expect(out.contents[1].parts[1]).toEqual({ functionCall: { name: 'get_weather', args: { city: 'ROME' } } });
  });
});
