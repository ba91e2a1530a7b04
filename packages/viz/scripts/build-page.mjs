// Builds the viewer page (src/page) into ONE self-contained HTML file: every script and stylesheet
// is inlined, so the page works from file:// with no server. Used by `pnpm run build` and, on
// demand, by src/template.ts (as a child process, so that renderViewerHtml can stay synchronous).
//
//   node scripts/build-page.mjs [--out dist/viewer.html]
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build, defaultClientConditions } from 'vite';

const pkgRoot = fileURLToPath(new URL('..', import.meta.url));
const pageDir = join(pkgRoot, 'src', 'page');

/**
 * `virtual:elk-worker-gzip`: ELK's worker script (1.6 MB), gzip-compressed and base64-encoded
 * (about 0.63 MB); the page inflates it only when it first lays out (src/page/elk-inline.ts).
 */
function elkWorkerGzip() {
  const id = 'virtual:elk-worker-gzip';
  return {
    name: 'argmin-elk-worker-gzip',
    resolveId: (source) => (source === id ? `\0${id}` : null),
    load(resolved) {
      if (resolved !== `\0${id}`) return null;
      const require = createRequire(join(pkgRoot, 'package.json'));
      const source = readFileSync(require.resolve('elkjs/lib/elk-worker.min.js'));
      const b64 = gzipSync(source, { level: 9 }).toString('base64');
      return `export const ELK_WORKER_GZIP_BASE64 = ${JSON.stringify(b64)};`;
    },
  };
}

/** Replaces the bundle's <script src> and <link href> tags by their contents. */
function inlineIntoHtml() {
  return {
    name: 'argmin-inline-into-html',
    enforce: 'post',
    generateBundle(_options, bundle) {
      const htmlFile = Object.values(bundle).find((f) => f.type === 'asset' && f.fileName.endsWith('.html'));
      if (!htmlFile) throw new Error('build-page: no HTML in the bundle');
      let html = String(htmlFile.source);
      for (const [key, file] of Object.entries(bundle)) {
        if (file === htmlFile) continue;
        const name = file.fileName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        if (file.type === 'chunk') {
          const tag = new RegExp(`<script[^>]*\\ssrc="[^"]*${name}"[^>]*></script>`);
          const code = scriptSafe(file.code);
          const hash = createHash('sha256').update(code).digest('base64');
          html = replaceOnce(html, tag, `<script type="module">${code}</script>`, file.fileName);
          html = html.replace("script-src 'self'", `script-src 'sha256-${hash}'`);
        } else if (file.fileName.endsWith('.css')) {
          const tag = new RegExp(`<link[^>]*\\shref="[^"]*${name}"[^>]*>`);
          html = replaceOnce(html, tag, `<style>${String(file.source).replace(/<\/style/gi, '<\\/style')}</style>`, file.fileName);
        } else {
          throw new Error(`build-page: unexpected asset ${file.fileName}; import it inline (?raw) instead`);
        }
        delete bundle[key];
      }
      htmlFile.source = html;
    },
  };
}

function replaceOnce(html, pattern, replacement, what) {
  if (!pattern.test(html)) throw new Error(`build-page: no tag references ${what}`);
  return html.replace(pattern, () => replacement);
}

/** Makes JS safe inside <script>: `</script` would end the element early. */
function scriptSafe(code) {
  const out = code.replace(/<\/script/gi, '<\\/script');
  // `<!--` followed by `<script` puts the HTML parser in a state where `</script>` no longer closes
  // the element; escaping that reliably needs a JS parser, so refuse it instead of guessing.
  if (/<!--|<script/i.test(out)) throw new Error('build-page: the bundle contains "<!--" or "<script"');
  return out;
}

export async function buildPage(outFile) {
  const tmpDir = join(dirname(outFile), `.build-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await build({
      configFile: false,
      root: pageDir,
      base: './',
      logLevel: 'warn',
      resolve: { conditions: ['source', ...defaultClientConditions] },
      build: {
        outDir: tmpDir,
        emptyOutDir: true,
        target: 'es2022',
        minify: process.env.ARGMIN_VIZ_NO_MINIFY ? false : 'oxc',
        modulePreload: false,
        cssCodeSplit: false,
        assetsInlineLimit: () => true,
        reportCompressedSize: false,
        chunkSizeWarningLimit: 4096,
        rolldownOptions: { input: join(pageDir, 'index.html') },
      },
      plugins: [elkWorkerGzip(), inlineIntoHtml()],
    });
    const html = readFileSync(join(tmpDir, 'index.html'), 'utf8');
    const staged = `${outFile}.${process.pid}.tmp`;
    mkdirSync(dirname(outFile), { recursive: true });
    writeFileSync(staged, html);
    renameSync(staged, outFile); // atomic: concurrent builds never expose a half-written template
  } finally {
    rmSync(tmpDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: 'string' } } });
  const outFile = resolve(values.out ?? join(pkgRoot, 'dist', 'viewer.html'));
  const t0 = performance.now();
  await buildPage(outFile);
  console.log(`viewer page built: ${outFile} (${Math.round(performance.now() - t0)} ms)`);
}
