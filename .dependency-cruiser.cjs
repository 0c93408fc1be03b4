/**
 * Import rules that keep Keyward's layers pointing down. `npm test` runs them (through
 * test/src/architecture.test.ts, which passes every .ts file by name: without TypeScript's
 * compiler API dependency-cruiser does not find .ts files in a folder on its own), so a wrong
 * import fails with the rule's name: `npx vitest run test/src/architecture.test.ts`.
 * Only runtime imports count: `import type` is erased at build time and may point anywhere.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'A module must not import itself back through others: split the shared part into a module both can import.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'steps-below-pipeline',
      severity: 'error',
      comment:
        'The data plane pipeline owns a request and the step contract lives in steps/: authentication, limits, policies and approvals import the contract from there, never from pipeline/.',
      from: { path: '^data-plane/src/(auth|limits|policy|approvals|steps|estimate|provenance)/' },
      to: { path: '^data-plane/src/pipeline/' },
    },
    {
      name: 'providers-at-the-bottom',
      severity: 'error',
      comment:
        'data-plane/src/providers/ describes each endpoint (route, key, request and answer codecs, output cap, usage, errors); the pipeline and the steps read it through the operation they hold, and it imports none of the layers above it.',
      from: { path: '^data-plane/src/providers/' },
      to: {
        path: '^data-plane/src/((auth|limits|policy|approvals|steps|pipeline|estimate|provenance|server|routing|config|events|upstream|control-plane|translate)/|(dataplane|index|main)\\.ts$)',
      },
    },
    {
      name: 'translation-over-providers',
      severity: 'error',
      comment:
        'data-plane/src/translate/ carries requests and answers between API families using only the operations in providers/ (with streaming/ and errors.ts); routes and the pipeline call it, it calls none of them, and providers/ never imports it.',
      from: { path: '^data-plane/src/translate/' },
      to: {
        path: '^data-plane/src/((auth|limits|policy|approvals|steps|pipeline|estimate|provenance|server|routing|config|events|upstream|control-plane|observability|storage)/|(dataplane|index|main)\\.ts$)',
      },
    },
    {
      name: 'lists-at-the-top',
      severity: 'error',
      comment:
        'The control plane lists every entity, resolver and route in files beside server.ts; the infrastructure folders (db, http, graphql) sit below the domains and must not import those lists.',
      from: { path: '^control-plane/src/(db|http|graphql)/' },
      to: { path: '^control-plane/src/(entities|resolvers|routes|schema|database|server|create-services)\\.ts$' },
    },
    {
      name: 'packages-through-their-surface',
      severity: 'error',
      comment: 'Workspace packages import each other through their index (the package name), never by a path into another package.',
      from: { path: '^(shared|control-plane|data-plane|console|test)/' },
      to: { path: '^(shared|control-plane|data-plane)/src/', pathNot: '^$1/' },
    },
    {
      name: 'shared-stays-shared',
      severity: 'error',
      comment: 'shared/ is imported by both planes and imports neither.',
      from: { path: '^shared/' },
      to: { path: '^(control-plane|data-plane|console)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|node_modules)/' },
    // TypeScript 7 has no JavaScript compiler API for dependency-cruiser; Babel strips the types
    // (type-only imports included) and the rules see what runs.
    babelConfig: { fileName: require('node:path').join(__dirname, '.dependency-cruiser.babel.cjs') },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs', '.json'] },
  },
};
