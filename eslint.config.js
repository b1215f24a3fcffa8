import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import vue from 'eslint-plugin-vue';
import vueParser from 'vue-eslint-parser';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['**/node_modules/**', 'client/dist/**', 'migrations/**', 'data/**', 'coverage/**', '.tmp/**', '**/*.d.ts', 'bench/**/*.js', 'server/dist/**', 'shared/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...vue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parser: vueParser, parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'], sourceType: 'module' } },
  },
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-restricted-syntax': ['error', { selector: "CallExpression[callee.property.name='only']", message: 'No .only in committed tests.' }],
      'vue/multi-word-component-names': 'off',
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
      'vue/html-indent': 'off',
      'vue/html-closing-bracket-newline': 'off',
      'vue/multiline-html-element-content-newline': 'off',
      'vue/no-v-html': 'error',
    },
  },
  {
    files: ['client/src/service-worker.js'],
    languageOptions: { globals: { ...globals.serviceworker, __ASSETS__: 'readonly' } },
  },
  {
    // vue-i18n's declarations give every component a `$t` that takes any string: only
    // client/src/i18n/runtime.js imports it, and the app uses the typed i18n/index.ts.
    files: ['client/src/**/*.ts', 'client/src/**/*.vue', 'test/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'vue-i18n', message: 'Use client/src/i18n/index.ts: its keys are typed by the English messages.' }] }],
    },
  },
  {
    // Every database call is awaited (both stores answer with promises): a promise forgotten in a
    // condition or left floating is an error, not a silent "always true".
    files: ['server/src/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  {
    // Only the feature services, the event log and the database module may reach the database.
    files: ['server/src/**/*.routes.ts', 'server/src/plugins/**/*.ts', 'server/src/http/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/db/schema*', 'drizzle-orm', 'drizzle-orm/*', 'better-sqlite3'], message: 'Routes and plugins go through services; only services and the event log touch the database.' }] }],
    },
  },
);
