// Runs the pinned pnpm with the given arguments (so `npm run build` works without a global pnpm).
import { pnpm } from './lib.mjs';

pnpm(process.argv.slice(2));
