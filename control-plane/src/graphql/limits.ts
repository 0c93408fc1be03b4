import { GraphQLError, Kind, type ASTNode, type FragmentDefinitionNode, type SelectionSetNode, type ValidationContext } from 'graphql';

/** How deep a selection may nest. The schema's deepest legitimate query is well under this. */
const MAX_QUERY_DEPTH = 10;
/** How many fields one operation may select in all (after fragments and aliases). */
const MAX_QUERY_FIELDS = 1500;

/**
 * Rejects operations that nest too deep or select too many fields, before anything executes,
 * so one request cannot make the server build a huge response.
 */
export function queryShapeLimit(context: ValidationContext) {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of context.getDocument().definitions) {
    if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  }
  let fields = 0;
  let reported = false;
  const report = (message: string, node: ASTNode) => {
    if (reported) return;
    reported = true;
    context.reportError(new GraphQLError(message, { nodes: [node], extensions: { code: 'QUERY_TOO_COMPLEX' } }));
  };
  const walk = (set: SelectionSetNode, depth: number, seen: Set<string>): void => {
    if (reported) return;
    if (depth > MAX_QUERY_DEPTH) return report(`Query is nested deeper than ${MAX_QUERY_DEPTH} levels.`, set);
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) {
        if (++fields > MAX_QUERY_FIELDS) return report(`Query selects more than ${MAX_QUERY_FIELDS} fields.`, sel);
        if (sel.selectionSet) walk(sel.selectionSet, depth + 1, seen);
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        walk(sel.selectionSet, depth, seen);
      } else {
        const name = sel.name.value;
        const frag = fragments.get(name);
        // Cycles are reported by graphql's own NoFragmentCycles rule; stop here.
        if (!frag || seen.has(name)) continue;
        walk(frag.selectionSet, depth, new Set([...seen, name]));
      }
    }
  };
  return {
    OperationDefinition(node: { selectionSet: SelectionSetNode }) {
      fields = 0;
      walk(node.selectionSet, 1, new Set());
    },
  };
}
