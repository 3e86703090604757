// Builds the UI into dist/ (index.html + assets) with relative asset URLs, so the management server
// can serve it from any path. `npm run dev -w @warren/management-ui` proxies /api to a management
// API at WARREN_API (default: a private RabbitMQ on 127.0.0.1:15680).
import { defineConfig } from 'vite';

const api = process.env.WARREN_API ?? 'http://127.0.0.1:15680';

export default defineConfig({
  base: './',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
  server: { host: '127.0.0.1', proxy: { '/api': { target: api, changeOrigin: true } } },
});
