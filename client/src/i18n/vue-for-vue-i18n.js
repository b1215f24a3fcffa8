// The `vue` that vue-i18n's runtime build sees in production (vite.config.ts): exactly the exports
// it uses. vue-i18n 11.4.2 probes `'currentInstance' in Vue` on `import * as Vue from 'vue'`,
// which keeps all of Vue in the bundle; on this namespace it finds no such key (neither does it
// in Vue 3.5's) and calls getCurrentInstance(). If vue-i18n imports anything else, the build
// fails on the missing export. Fixed upstream (intlify/vue-i18n#2578) in releases needing Node 22.
export {
  Fragment,
  Text,
  computed,
  createVNode,
  defineComponent,
  effectScope,
  getCurrentInstance,
  getCurrentScope,
  h,
  inject,
  isRef,
  onMounted,
  onScopeDispose,
  onUnmounted,
  ref,
  shallowRef,
  watch,
} from 'vue';
