import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

/** Where `vite dev` forwards GraphQL (HTTP and graphql-ws); the control plane's default port. */
const controlPlane = process.env.KEYWARD_CP_URL ?? 'http://localhost:4000';

export default defineConfig({
  plugins: [vue()],
  resolve: { alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) } },
  server: {
    port: 5173,
    // The Host header is kept, so the control plane's same-origin check sees the dev server's origin.
    // `/signin` is the control plane's one-time sign-in link page.
    proxy: { '/graphql': { target: controlPlane, ws: true }, '/signin': { target: controlPlane } },
  },
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1200 },
});
