/** A fenced code block of the README, its info string's language and its text without the list indentation. */
export interface CodeBlock {
  readonly lang: string;
  readonly code: string;
}

/**
 * The fenced code blocks of one `## ` section of a Markdown file, in order. Blocks inside list
 * items lose the item's indentation, so they read as they would be pasted.
 */
export function sectionCodeBlocks(markdown: string, headingStart: string): CodeBlock[] {
  const start = markdown.indexOf(`\n## ${headingStart}`);
  if (start < 0) throw new Error(`README has no section starting "## ${headingStart}".`);
  const end = markdown.indexOf('\n## ', start + 1);
  const section = markdown.slice(start, end < 0 ? undefined : end);
  const blocks: CodeBlock[] = [];
  const fence = /^([ \t]*)```(\w*)\n([\s\S]*?)^\1```$/gm;
  for (let m = fence.exec(section); m; m = fence.exec(section)) {
    const indent = m[1].length;
    const code = m[3]
      .split('\n')
      .map((line) => line.slice(Math.min(indent, line.length - line.trimStart().length)))
      .join('\n');
    blocks.push({ lang: m[2], code });
  }
  return blocks;
}
