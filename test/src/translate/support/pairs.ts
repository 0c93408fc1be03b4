import { OPERATIONS, translatorFor, type Operation, type Translator } from '@keyward/data-plane';

function operation(family: string, endpoint: string): Operation {
  const found = OPERATIONS.find((op) => op.family === family && op.endpoint === endpoint);
  if (!found) throw new Error(`No ${family} ${endpoint} operation.`);
  return found;
}

/** The operations the translation tests use, as the data plane lists them. */
export const chatCompletions = operation('openai', 'chat.completions');
export const messages = operation('anthropic', 'messages');
export const generateContent = operation('gemini', 'generateContent');
export const streamGenerateContent = operation('gemini', 'streamGenerateContent');

/** The translator between two operations, which the test needs to exist. */
export function translator(from: Operation, to: Operation): Translator {
  const found = translatorFor(from, to);
  if (!found) throw new Error(`No translator from ${from.family} ${from.endpoint} to ${to.family} ${to.endpoint}.`);
  return found;
}
