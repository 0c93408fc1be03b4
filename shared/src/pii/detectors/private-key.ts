import type { Detector } from './detector.js';
import type { Finding } from '../types.js';

const BEGIN = /-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----/g;
const END_LINE = /-----END (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----/y;
const END_MARKER = '-----END ';
/** Keys are a few kilobytes; an END marker further away belongs to something else. */
const MAX_BLOCK = 16_384;
/** A base64 line, or a one-line paste of several long base64 chunks separated by spaces. */
const BASE64_LINE = /^(?:[A-Za-z0-9+/=]+|[A-Za-z0-9+/=]{16,}(?:[ \t]+[A-Za-z0-9+/=]{16,})+)$/;
const PEM_HEADER = /^(?:Proc-Type|DEK-Info|Comment|Version):/;

/**
 * End of a block whose END line is missing (a truncated paste): base64 lines and PEM headers
 * are consumed, the first other line stops the block. A blank line is allowed only where PEM
 * puts one: right after the BEGIN line or after the headers.
 */
function truncatedBlockEnd(text: string, from: number): number {
  let end = from;
  let pos = from;
  let blankAllowed = true;
  while (pos < text.length) {
    let eol = text.indexOf('\n', pos);
    if (eol < 0) eol = text.length;
    const raw = text.slice(pos, eol);
    const line = raw.trim();
    if (line === '') {
      if (!blankAllowed) break;
    } else if (PEM_HEADER.test(line)) {
      blankAllowed = true;
      end = pos + raw.trimEnd().length;
    } else if (BASE64_LINE.test(line)) {
      blankAllowed = false;
      end = pos + raw.trimEnd().length;
    } else {
      break;
    }
    pos = eol + 1;
  }
  return end;
}

/**
 * PEM and PGP private key blocks, from the BEGIN line through the END line. A block whose END
 * line is missing still counts, up to the end of its base64 body. The END marker is located
 * with `indexOf` and remembered across blocks, never with a lazy regex, so a text full of BEGIN
 * lines cannot make the scan quadratic.
 */
export const privateKey: Detector = {
  name: 'private_key',
  label: 'PRIVATE_KEY',
  scan(text: string, out: Finding[], limit: number): void {
    if (text.indexOf('PRIVATE KEY') < 0) return;
    BEGIN.lastIndex = 0;
    let nextEnd = -2; // -2: not searched yet, -1: none in the rest of the text
    let m: RegExpExecArray | null;
    while (out.length < limit && (m = BEGIN.exec(text)) !== null) {
      const bodyStart = m.index + m[0].length;
      if (nextEnd !== -1 && nextEnd < bodyStart) nextEnd = text.indexOf(END_MARKER, bodyStart);
      let end = -1;
      if (nextEnd >= 0 && nextEnd - bodyStart <= MAX_BLOCK && text.lastIndexOf('-----BEGIN ', nextEnd) === m.index) {
        END_LINE.lastIndex = nextEnd;
        if (END_LINE.test(text)) end = END_LINE.lastIndex;
      }
      if (end < 0) end = truncatedBlockEnd(text, bodyStart);
      out.push({ detector: 'private_key', start: m.index, end, value: text.slice(m.index, end) });
      BEGIN.lastIndex = end;
    }
  },
};
