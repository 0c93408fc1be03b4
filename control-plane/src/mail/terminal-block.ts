/** The rule above and below every block Keyward prints for the operator. */
const RULE = '='.repeat(78);

/**
 * Frames operator output (the first-start link, development emails) between two rules, each
 * line indented, with blank lines around: it stands out between the JSON log lines on the
 * same terminal, and every value sits on a plain line of its own.
 */
export function terminalBlock(lines: readonly string[]): string {
  return ['', RULE, ...lines.map((line) => (line ? `  ${line}` : '')), RULE, '', ''].join('\n');
}
