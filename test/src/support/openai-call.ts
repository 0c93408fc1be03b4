import OpenAI from 'openai';

/**
 * One small chat completion through a node with the official OpenAI client, as a recipient's
 * program makes it: resolves with null when it was answered, or with the client's error.
 */
export function chatThrough(nodeUrl: string, secret: string): Promise<InstanceType<typeof OpenAI.APIError> | null> {
  return new OpenAI({ apiKey: secret, baseURL: `${nodeUrl}/v1`, maxRetries: 0 }).chat.completions
    .create({ model: 'gpt-4o-mini', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })
    .then(
      () => null,
      (e: unknown) => e as InstanceType<typeof OpenAI.APIError>,
    );
}
