// tsc checks the tests without the Vue compiler: a component imported by a test is typed
// loosely here (vue-tsc checks the components themselves).
declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<object, object, unknown>;
  export default component;
}
