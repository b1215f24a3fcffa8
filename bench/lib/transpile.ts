import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import ts from 'typescript';

/**
 * A benchmark server as plain Node runs it: the script and the local modules it imports,
 * transpiled beside their sources (`x.ts` → `x.js`, git-ignored), so that neither server pays
 * for a TypeScript loader (tsx holds about 40 MB of its own in the process it loads into).
 * Returns the entry's JavaScript file. Types are checked by `npm run typecheck`, not here.
 */
export function transpileForNode(entry: string): string {
  const done = new Set<string>();
  const visit = (file: string): void => {
    if (done.has(file)) return;
    done.add(file);
    const source = readFileSync(file, 'utf8');
    const { outputText } = ts.transpileModule(source, {
      fileName: file,
      compilerOptions: {
        module: ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2022,
        verbatimModuleSyntax: true,
        rewriteRelativeImportExtensions: true,
      },
    });
    writeFileSync(file.replace(/\.ts$/, '.js'), outputText);
    // Local modules it loads at run time (type-only imports are erased and need no file).
    for (const match of source.matchAll(/^import (?!type )[^;]*?from '(\.{1,2}\/[^']+\.ts)';/gm)) {
      visit(resolve(dirname(file), match[1] ?? ''));
    }
  };
  visit(entry);
  return entry.replace(/\.ts$/, '.js');
}
