// Bundles the web client for the browser (client/src/main.tsx -> client/dist/).
// Runs at `npm install` time through the `prepare` script.
import { build } from 'esbuild';
import { copyFile, mkdir, stat } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'dist');
const entry = join(here, 'src', 'main.tsx');

async function exists(p) {
  try { await stat(p); return true; } catch { return false; }
}

await mkdir(out, { recursive: true });
if (!(await exists(entry))) {
  console.log('client: no client/src/main.tsx yet, nothing to bundle');
  process.exit(0);
}
await build({
  entryPoints: [entry],
  bundle: true,
  minify: true,
  sourcemap: true,
  format: 'esm',
  target: ['chrome110', 'firefox110', 'safari16'],
  outfile: join(out, 'app.js'),
  jsx: 'automatic',
  jsxImportSource: 'preact',
  define: { 'process.env.NODE_ENV': '"production"', global: 'globalThis' },
  logLevel: 'warning',
});
for (const f of ['index.html', 'style.css']) {
  if (await exists(join(here, 'public', f))) await copyFile(join(here, 'public', f), join(out, f));
}
const js = await readFile(join(out, 'app.js'));
console.log(`client: bundled app.js ${(js.length / 1024).toFixed(0)} KiB, ${(gzipSync(js).length / 1024).toFixed(0)} KiB gzip`);
