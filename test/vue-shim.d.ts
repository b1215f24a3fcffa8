// The test program (tsc -p test) reads client modules that import single-file components (the
// router's views); vue-tsc checks those components themselves (vue-tsc -p client).
declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent;
  export default component;
}
