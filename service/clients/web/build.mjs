// Bundles the web client (and the @rookery/client library with protobufjs) into one directory
// of static files: index.html, app.js, app.css (+ source maps). Nothing is loaded from the
// internet at run time.
//
//   node build.mjs [OUT_DIR]       OUT_DIR also from ROOKERY_WEB_OUT; default ./dist
//   node build.mjs --watch [OUT]   rebuild on change
import * as esbuild from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const watch = args.includes('--watch');
const outArg = args.find((a) => !a.startsWith('--'));
const outDir = resolve(outArg || process.env.ROOKERY_WEB_OUT || join(here, 'dist'));

const options = {
  entryPoints: { app: join(here, 'src/main.js') },
  bundle: true,
  outdir: outDir,
  format: 'iife',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  minify: !watch,
  sourcemap: 'linked',
  legalComments: 'linked',
  // protobufjs comes from this package's node_modules when the library's are not installed.
  nodePaths: [join(here, 'node_modules')],
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
  metafile: true,
};

function writeHtml() {
  const js = readFileSync(join(outDir, 'app.js'));
  const css = readFileSync(join(outDir, 'app.css'));
  const version = createHash('sha256').update(js).update(css).digest('hex').slice(0, 10);
  const html = readFileSync(join(here, 'index.html'), 'utf8').replaceAll('__VERSION__', `?v=${version}`);
  writeFileSync(join(outDir, 'index.html'), html);
  return version;
}

if (!watch) rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
if (watch) {
  const ctx = await esbuild.context({
    ...options,
    plugins: [{ name: 'html', setup(b) { b.onEnd((r) => { if (!r.errors.length) writeHtml(); }); } }],
  });
  await ctx.watch();
  console.log(`watching; output in ${outDir}`);
} else {
  const result = await esbuild.build(options);
  const version = writeHtml();
  const sizes = Object.entries(result.metafile.outputs)
    .filter(([f]) => !f.endsWith('.map'))
    .map(([f, o]) => `${f.split('/').pop()} ${(o.bytes / 1024).toFixed(1)} KiB`);
  console.log(`built ${outDir} (${version}): ${sizes.join(', ')}`);
}
