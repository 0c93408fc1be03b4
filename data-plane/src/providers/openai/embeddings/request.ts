import { emptyExtraction, finishExtraction, type RequestCodec } from '../../codec/request.js';
import { transcriptMessage } from '../../codec/transcript.js';
import { list, mapList, withField } from '../../codec/walk.js';

/** `POST /v1/embeddings`: `input` is a string or a list of strings (token arrays carry no text). */
export const embeddingsCodec: RequestCodec = {
  extract(body, needs) {
    const out = emptyExtraction();
    if (needs.messages) {
      const inputs = typeof body.input === 'string' ? [body.input] : list(body.input);
      for (const input of inputs) if (typeof input === 'string') out.messages.push({ role: 'user', text: input });
    }
    return finishExtraction(out, needs);
  },
  transcript(body) {
    const inputs = typeof body.input === 'string' ? [body.input] : list(body.input);
    return inputs.filter((input): input is string => typeof input === 'string').map((input) => transcriptMessage('user', input));
  },
  mapTexts(body, f) {
    if (typeof body.input === 'string') return withField(body, 'input', f(body.input));
    if (!Array.isArray(body.input)) return body;
    return withField(
      body,
      'input',
      mapList(body.input, (input) => (typeof input === 'string' ? f(input) : input)),
    );
  },
  // Embeddings have no prompt or sampling: a role changes only the route they take.
  withRole(body) {
    return body;
  },
};
