import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';

/**
 * The conversation the chat tests send in each family's own form (a system prompt, a user turn,
 * an assistant turn, a user turn), as OpenAI Chat messages: what an OpenAI agent sends, and what
 * an OpenAI target receives from an Anthropic or Gemini agent.
 */
export const BRIEF_CHAT: ChatCompletionMessageParam[] = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'hi' },
  { role: 'assistant', content: 'Hello.' },
  { role: 'user', content: 'again' },
];
