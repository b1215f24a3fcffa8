// Compiles the server and the shared sources it imports to JavaScript, file for file, so that
// `npm start` runs plain Node instead of compiling TypeScript at every start (tsx stays for
// development, tests and scripts). server/src/x.ts → server/dist/x.js and shared/src/x.ts →
// shared/dist/x.js: each output sits as deep as its source, so the paths the server finds
// from `import.meta.url` (migrations, client/dist, the PDF process, shared/reference) hold.
// Types are not checked here (`npm run typecheck` does); with `isolatedModules` and
// `verbatimModuleSyntax` on, each file compiles alone. `@lodestone/shared` is rewritten to the
// relative path of shared/dist, so the output needs no loader and no resolution flag.
//   node scripts/build-server.mjs          builds when a source is newer than the last build
//   node scripts/build-server.mjs --force  builds anyway
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGES = ['server', 'shared'];
/** Written last: the build is complete when it is there, and as new as its sources. */
const STAMP = join(root, 'server', 'dist', '.built');
const SHARED_DIST = join(root, 'shared', 'dist');


function filesUnder(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : [path];
  });
}

function newest(paths) {
  return Math.max(...paths.filter(existsSync).flatMap((p) => (statSync(p).isDirectory() ? filesUnder(p) : [p])).map((p) => statSync(p).mtimeMs));
}

/** Whether a source (or this script) is newer than the last complete build. */
export function serverBuildIsStale() {
  if (!existsSync(STAMP) || !existsSync(join(SHARED_DIST, 'index.js'))) return true;
  const sources = [...PACKAGES.map((p) => join(root, p, 'src')), join(root, 'shared', 'package.json'), fileURLToPath(import.meta.url)];
  return newest(sources) > statSync(STAMP).mtimeMs;
}

/** `@lodestone/shared` and `@lodestone/shared/x` as a path relative to the file `from` will be written to. */
function sharedSpecifier(specifier, from) {
  const match = /^@lodestone\/shared(?:\/(.+))?$/.exec(specifier);
  if (!match) return null;
  const target = join(SHARED_DIST, `${match[1] ?? 'index'}.js`);
  const path = relative(dirname(from), target).split(sep).join('/');
  return path.startsWith('.') ? path : `./${path}`;
}

/** A transformer that points imports and re-exports of `@lodestone/shared` at its compiled files. */
function rewriteShared(ts, outFile) {
  return (context) => (sourceFile) => {
    const { factory } = context;
    const visit = (node) => {
      const spec = (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier) ? node.moduleSpecifier.text : null;
      const to = spec === null ? null : sharedSpecifier(spec, outFile);
      if (to === null) return node;
      const literal = factory.createStringLiteral(to);
      return ts.isImportDeclaration(node)
        ? factory.updateImportDeclaration(node, node.modifiers, node.importClause, literal, node.attributes)
        : factory.updateExportDeclaration(node, node.modifiers, node.isTypeOnly, node.exportClause, literal, node.attributes);
    };
    return ts.visitEachChild(sourceFile, visit, context);
  };
}

/** Compiles every package into a staging folder, then puts each in place. */
export async function buildServer() {
  // Loaded only to build: the TypeScript compiler alone takes longer to load than the server.
  const { default: ts } = await import('typescript');
  const compilerOptions = { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true, rewriteRelativeImportExtensions: true };
  const staging = join(root, '.tmp', `build-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  for (const name of PACKAGES) {
    const src = join(root, name, 'src');
    for (const file of filesUnder(src).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))) {
      const outFile = join(root, name, 'dist', relative(src, file).replace(/\.ts$/, '.js'));
      const { outputText, diagnostics } = ts.transpileModule(readFileSync(file, 'utf8'), {
        compilerOptions,
        fileName: file,
        reportDiagnostics: true,
        transformers: { before: [rewriteShared(ts, outFile)] },
      });
      if (diagnostics?.length) throw new Error(`${relative(root, file)}: ${ts.flattenDiagnosticMessageText(diagnostics[0].messageText, '\n')}`);
      const staged = join(staging, relative(root, outFile));
      mkdirSync(dirname(staged), { recursive: true });
      writeFileSync(staged, outputText);
    }
  }
  for (const name of PACKAGES) {
    const dist = join(root, name, 'dist');
    rmSync(dist, { recursive: true, force: true });
    renameSync(join(staging, name, 'dist'), dist);
  }
  rmSync(staging, { recursive: true, force: true });
  writeFileSync(STAMP, `${new Date().toISOString()}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.argv.includes('--force') || serverBuildIsStale()) {
    const started = performance.now();
    await buildServer();
    console.log(`Built the server into server/dist and shared/dist in ${Math.round(performance.now() - started)} ms.`);
  } else {
    console.log('The server build is up to date.');
  }
}
