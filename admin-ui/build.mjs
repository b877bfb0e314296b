// Builds the console into a self-contained folder (default ./dist, or the first argument):
// index.html plus content-hashed JS and CSS under assets/, with uPlot and every style bundled.
// Nothing is fetched at run time: no CDN, no web fonts.
//
//   node build.mjs [OUT_DIR] [--watch]
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const watch = args.includes('--watch');
const outDir = path.resolve(args.find((a) => !a.startsWith('--')) ?? path.join(here, 'dist'));

function writeIndex(metafile) {
  const outputs = Object.keys(metafile.outputs).map((p) => path.resolve(p));
  const pick = (ext) => {
    const file = outputs.find((p) => p.endsWith(ext) && !p.endsWith('.map'));
    if (!file) throw new Error(`build produced no ${ext} file`);
    return path.relative(outDir, file).split(path.sep).join('/');
  };
  const html = fs
    .readFileSync(path.join(here, 'src', 'index.html'), 'utf8')
    .replaceAll('%APP_JS%', pick('.js'))
    .replaceAll('%APP_CSS%', pick('.css'));
  fs.writeFileSync(path.join(outDir, 'index.html'), html);
}

const writeIndexPlugin = {
  name: 'write-index',
  setup(build) {
    build.onEnd((result) => {
      if (result.errors.length === 0 && result.metafile) {
        writeIndex(result.metafile);
        console.log(`admin-ui: built ${outDir}`);
      }
    });
  },
};

fs.rmSync(outDir, { recursive: true, force: true });
fs.mkdirSync(path.join(outDir, 'assets'), { recursive: true });

const options = {
  entryPoints: { app: path.join(here, 'src', 'main.js') },
  bundle: true,
  minify: !watch,
  sourcemap: 'linked',
  format: 'iife',
  target: ['chrome100', 'firefox100', 'safari15'],
  outdir: path.join(outDir, 'assets'),
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  metafile: true,
  legalComments: 'linked',
  logLevel: 'warning',
  plugins: [writeIndexPlugin],
};

if (watch) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
  console.log('admin-ui: watching src/ (Ctrl-C to stop)');
} else {
  await esbuild.build(options);
}
