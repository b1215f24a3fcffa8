import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runInNewContext } from 'node:vm';
import ts from 'typescript';

export type Lang = 'en' | 'ja';

/** Every string of a nested message object, by dotted key. */
export function flatten(node: unknown, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'string') out.set(key, v);
    else for (const [kk, vv] of flatten(v, key)) out.set(kk, vv);
  }
  return out;
}

/**
 * The messages of a language as written in client/src/i18n/<lang>.ts. Imported through Vite the
 * file is compiled to vue-i18n's message ASTs; tests that compare with what the writer meant read
 * the source text itself (a module of one plain object, by contract).
 */
export function sourceMessages(lang: Lang): Map<string, string> {
  const source = readFileSync(resolve(dirname(fileURLToPath(import.meta.url)), `../../client/src/i18n/${lang}.ts`), 'utf8');
  const { outputText } = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } });
  const module = { exports: {} as { default?: unknown } };
  runInNewContext(outputText, { module, exports: module.exports });
  return flatten(module.exports.default);
}
