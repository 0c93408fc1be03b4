import type OpenAI from 'openai';

/** Runs a call that must fail and returns what it threw (an official client's API error). */
export async function failure<T = any>(call: Promise<unknown> | (() => Promise<unknown>)): Promise<T> {
  try {
    await (typeof call === 'function' ? call() : call);
  } catch (err) {
    return err as T;
  }
  throw new Error('expected the call to fail');
}

/** Reads an official OpenAI client's chat stream that must fail: the text delivered before, and what it threw. */
export async function chatStreamFailure<T = InstanceType<typeof OpenAI.APIError>>(
  stream: AsyncIterable<OpenAI.ChatCompletionChunk>,
): Promise<{ text: string; err: T }> {
  let text = '';
  const err = await failure<T>(async () => {
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
  });
  return { text, err };
}
