import { defineConfig, type Plugin } from 'vite';
import vue from '@vitejs/plugin-vue';
import vueI18n from '@intlify/unplugin-vue-i18n/vite';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Emits /sw.js with this build's asset list, so each build precaches its own files. */
function serviceWorker(): Plugin {
  return {
    name: 'lodestone-service-worker',
    apply: 'build',
    generateBundle(_options, bundle) {
      const assets = Object.keys(bundle)
        .filter((file) => file.startsWith('assets/'))
        .sort()
        .map((file) => `/${file}`);
      const version = createHash('sha256').update(assets.join('\n')).digest('hex').slice(0, 12);
      const source = readFileSync(new URL('./src/service-worker.js', import.meta.url), 'utf8')
        .replaceAll('__ASSETS__', JSON.stringify(['/favicon.svg', ...assets]))
        .replaceAll('__VERSION__', version);
      this.emitFile({ type: 'asset', fileName: 'sw.js', source });
    },
  };
}

/** See src/i18n/vue-for-vue-i18n.js: vue-i18n's `import * as Vue` would keep all of Vue (13 KB gzip). */
function vueForVueI18n(): Plugin {
  const narrowVue = fileURLToPath(new URL('./src/i18n/vue-for-vue-i18n.js', import.meta.url));
  return {
    name: 'lodestone-vue-for-vue-i18n',
    apply: 'build',
    enforce: 'pre',
    resolveId(source, importer) {
      return source === 'vue' && importer !== undefined && /[\\/]node_modules[\\/]vue-i18n[\\/]/.test(importer) ? narrowVue : null;
    },
  };
}

/**
 * vue-i18n the lean way: the UI messages (en.ts, ja.ts: `export default {…}`) are compiled to
 * message ASTs at build time, and the app gets vue-i18n's runtime-only build without the message
 * compiler, so no message is ever compiled in the browser (and nothing needs 'unsafe-eval').
 * A message vue-i18n's syntax cannot read fails the build. The client tests use the same plugin.
 */
export function i18nPlugin() {
  return vueI18n({
    include: ['en', 'ja'].map((lang) => fileURLToPath(new URL(`./src/i18n/${lang}.ts`, import.meta.url))),
    runtimeOnly: true,
    dropMessageCompiler: true,
    compositionOnly: true,
    fullInstall: false,
    strictMessage: true,
  });
}

export default defineConfig({
  plugins: [vue(), i18nPlugin(), vueForVueI18n(), serviceWorker()],
  define: {
    __VUE_PROD_DEVTOOLS__: false,
    __VUE_OPTIONS_API__: false,
    __INTLIFY_PROD_DEVTOOLS__: false,
  },
  build: {
    target: 'es2022',
    sourcemap: false,
    // No inline module-preload polyfill script: the CSP allows no inline script.
    modulePreload: { polyfill: false },
  },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:3000',
      '/socket.io': { target: 'ws://127.0.0.1:3000', ws: true },
    },
  },
});
