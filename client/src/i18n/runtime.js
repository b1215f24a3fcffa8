// vue-i18n enters the client here and nowhere else. `@intlify/unplugin-vue-i18n` (vite.config.ts)
// resolves it to the runtime-only build, without the message compiler. This file is JavaScript
// so that the type checker sees only runtime.d.ts: vue-i18n's own declarations add to every
// component a `$t` that takes any string, which would hide an unknown key in a template.
export { createI18n } from 'vue-i18n';
