import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** How the client names a message at one call of t, $t, te or tOr. */
export interface KeyUse {
  file: string;
  line: number;
  /** The key argument as written. */
  argument: string;
  /** Keys written out in full. */
  keys: string[];
  /** Keys built at run time, each `${…}` written `{}`: `statuses.{}`. */
  families: string[];
  /** Arguments that are neither (a variable, a call): the test must know what they hold. */
  indirect: string[];
}

export const CLIENT_SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../client/src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|vue)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The text of the first argument of a call whose `(` is at `open`: up to its `,` or `)` at depth 0. */
function firstArgument(text: string, open: number): string {
  const closers: string[] = [];
  let quote: string | null = null;
  for (let i = open + 1; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === '\\') i++;
      else if (quote === '`' && ch === '$' && text[i + 1] === '{') {
        closers.push('}`');
        quote = null;
        i++;
      } else if (ch === quote) quote = null;
      continue;
    }
    if (ch === "'" || ch === '"' || ch === '`') quote = ch;
    else if (ch === '(' || ch === '[' || ch === '{') closers.push(ch === '(' ? ')' : ch === '[' ? ']' : '}');
    else if (closers.length === 0 && (ch === ',' || ch === ')')) return text.slice(open + 1, i).trim();
    else if (ch === closers.at(-1)?.[0]) {
      // Back inside a template literal after its `${…}`.
      if (closers.pop() === '}`') quote = '`';
    }
  }
  throw new Error(`unbalanced call at ${open}`);
}

/** What an argument expression can evaluate to, as keys, families and indirect parts. */
function classify(node: ts.Expression, use: KeyUse, source: ts.SourceFile): void {
  if (ts.isParenthesizedExpression(node)) return classify(node.expression, use, source);
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
    use.keys.push(node.text);
  } else if (ts.isTemplateExpression(node)) {
    use.families.push(node.head.text + node.templateSpans.map((span) => `{}${span.literal.text}`).join(''));
  } else if (ts.isConditionalExpression(node)) {
    classify(node.whenTrue, use, source);
    classify(node.whenFalse, use, source);
  } else if (ts.isBinaryExpression(node) && [ts.SyntaxKind.QuestionQuestionToken, ts.SyntaxKind.BarBarToken].includes(node.operatorToken.kind)) {
    classify(node.left, use, source);
    classify(node.right, use, source);
  } else {
    use.indirect.push(node.getText(source));
  }
}

/** Every call of t, $t, te and tOr in client/src (but the i18n module that defines them), with what its key can be. */
export function keyUses(): KeyUse[] {
  const uses: KeyUse[] = [];
  for (const path of sourceFiles(CLIENT_SRC)) {
    const file = relative(CLIENT_SRC, path);
    if (file === join('i18n', 'index.ts')) continue;
    const text = readFileSync(path, 'utf8');
    for (const match of text.matchAll(/(?<![\w$])(?:\$t|t|te|tOr)\(/g)) {
      const open = match.index + match[0].length - 1;
      const argument = firstArgument(text, open);
      const use: KeyUse = { file, line: text.slice(0, match.index).split('\n').length, argument, keys: [], families: [], indirect: [] };
      const source = ts.createSourceFile('argument.ts', `(${argument});`, ts.ScriptTarget.ES2022, true);
      const statement = source.statements[0];
      if (!statement || !ts.isExpressionStatement(statement)) throw new Error(`${file}:${use.line}: cannot read the key ${argument}`);
      classify(statement.expression, use, source);
      uses.push(use);
    }
  }
  return uses;
}
