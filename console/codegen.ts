import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CodegenConfig } from '@graphql-codegen/cli';

const schema = fileURLToPath(new URL('../control-plane/schema.graphql', import.meta.url));
if (!existsSync(schema)) {
  throw new Error(
    `The console generates its operations from ${schema}, which does not exist: build the control plane first (pnpm -r run build builds it before the console).`,
  );
}

/**
 * Typed operations from every screen's `operations.graphql`, generated into `src/gql/` from the
 * schema the control plane's build writes. Code generation validates each operation against
 * that schema, so `build` fails as soon as an operation no longer matches the API.
 */
const config: CodegenConfig = {
  schema,
  documents: ['src/**/*.graphql'],
  errorsOnly: true,
  generates: {
    'src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false, gqlTagName: 'graphql' },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        avoidOptionals: { field: true, inputValue: false, object: false },
        scalars: {
          DateTimeISO: 'string',
          JSON: 'unknown',
          JSONObject: 'Record<string, unknown>',
        },
      },
    },
  },
};

export default config;
