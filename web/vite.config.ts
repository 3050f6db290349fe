/// <reference types="vitest/config" />
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// The console is embedded into `claude-server` and served at `/` with an SPA fallback,
// so assets are `/`-rooted. During `npm run dev` the admin API and `/v1` are proxied to a
// local gateway (override with CLAUDE_API_URL).
const target = process.env.CLAUDE_API_URL ?? 'http://127.0.0.1:62311'

export default defineConfig({
  plugins: [vue()],
  base: '/',
  // Feature flags of vue-i18n / Vue: composition API only, no devtools hooks in production.
  define: {
    __VUE_I18N_LEGACY_API__: 'false',
    __VUE_I18N_FULL_INSTALL__: 'false',
    __INTLIFY_PROD_DEVTOOLS__: 'false',
    __VUE_PROD_DEVTOOLS__: 'false',
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 700,
  },
  server: {
    proxy: {
      '/v2': target,
      '/v1': target,
      '/healthz': target,
    },
  },
  test: {
    include: ['tests/**/*.test.ts'],
    environment: 'node',
  },
})
