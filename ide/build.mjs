// Builds custgraph's GraphQL IDE into ../internal/ide/dist, which the Go
// package internal/ide embeds:
//
//   dist/index.html                      the page (served at /)
//   dist/ide/app-<hash>.js, .css         the bundle (served at /ide/…)
//   dist/ide/fonts/<font>-<hash>.woff2   GraphiQL's fonts, one file per unicode range
//   dist/ide/licenses.txt                the licenses of everything bundled
//
// Run: npm ci && npm run build. Nothing in the output loads anything from
// another origin; the build fails if it finds such a load.
import * as esbuild from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..', 'internal', 'ide', 'dist');
const assets = join(dist, 'ide');

// GraphiQL ships its fonts as CSS with every font inlined as a data: URL
// (28 Roboto and 6 Fira Code faces, one per weight, style and unicode
// range). Emitting each as its own file keeps the CSS small and lets the
// browser fetch only the ranges a page uses.
const fontFiles = new Map();
const extractFonts = {
  name: 'extract-fonts',
  setup(build) {
    build.onLoad({ filter: /[\\/]@graphiql[\\/]react[\\/]font[\\/][^\\/]+\.css$/ }, (args) => {
      const css = readFileSync(args.path, 'utf8');
      const counts = new Map();
      const out = css.replace(/@font-face\s*{[^}]*}/g, (face) => {
        const family = /font-family:\s*['"]?([^;'"]+)/.exec(face)[1].trim().toLowerCase().replace(/\s+/g, '-');
        const weight = (/font-weight:\s*(\d+)/.exec(face) || [, '400'])[1];
        const italic = /font-style:\s*italic/.test(face) ? 'i' : '';
        return face.replace(/url\(\s*['"]?data:font\/(woff2?);base64,([^'")\s]+)['"]?\s*\)/g, (_, ext, b64) => {
          const key = `${family}-${weight}${italic}`;
          const n = (counts.get(key) || 0) + 1;
          counts.set(key, n);
          const name = `${key}-${n}.${ext}`;
          fontFiles.set(name, Buffer.from(b64, 'base64'));
          return `url("font:${name}")`;
        });
      });
      return { contents: out, loader: 'css' };
    });
    build.onResolve({ filter: /^font:/ }, (args) => ({ path: args.path.slice('font:'.length), namespace: 'font' }));
    build.onLoad({ filter: /.*/, namespace: 'font' }, (args) => ({ contents: fontFiles.get(args.path), loader: 'file' }));
  },
};

// Two error messages of the bundled libraries name package hosts (a
// package manager's docs, CDNs): irrelevant here, and this repository names
// no such host. The messages stay, without those words.
const scrub = {
  name: 'scrub-hosts',
  setup(build) {
    const edits = [
      [/[\\/]graphql[\\/]jsutils[\\/]instanceOf\.mjs$/, /\n\nhttps:\/\/\S+\n/, '\n'],
      [/[\\/]graphiql[\\/]esm[\\/]GraphiQL\.js$/, / \(\w+, \w+, etc\)/, ''],
    ];
    build.onLoad({ filter: /[\\/](instanceOf\.mjs|GraphiQL\.js)$/ }, (args) => {
      const edit = edits.find(([file]) => file.test(args.path));
      if (!edit) return undefined;
      const src = readFileSync(args.path, 'utf8');
      const out = src.replace(edit[1], edit[2]);
      if (out === src) console.warn(`scrub-hosts: nothing to change in ${relative(here, args.path)}`);
      return { contents: out, loader: 'js' };
    });
  },
};

rmSync(dist, { recursive: true, force: true });
mkdirSync(assets, { recursive: true });

const result = await esbuild.build({
  absWorkingDir: here,
  entryPoints: { app: 'src/main.jsx' },
  bundle: true,
  format: 'iife',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  minify: true,
  sourcemap: false,
  legalComments: 'none', // collected into licenses.txt below
  charset: 'utf8',
  jsx: 'automatic',
  // graphql-js checks globalThis.process before NODE_ENV: without this it
  // keeps its development-only instanceof checks.
  define: { 'process.env.NODE_ENV': '"production"', 'globalThis.process': 'true' },
  loader: { '.graphql': 'text', '.woff': 'file', '.woff2': 'file', '.ttf': 'file', '.svg': 'file', '.png': 'file' },
  entryNames: '[name]-[hash]',
  assetNames: 'fonts/[name]-[hash]',
  outdir: assets,
  metafile: true,
  logLevel: 'warning',
  plugins: [extractFonts, scrub],
});

// The page, referring to the bundle relative to itself.
const outputs = Object.keys(result.metafile.outputs).map((p) => join(here, p));
const entry = (ext) => {
  const f = outputs.find((p) => dirname(p) === assets && p.endsWith(ext));
  if (!f) throw new Error(`no ${ext} output`);
  return relative(dist, f).split(sep).join('/');
};
const html = readFileSync(join(here, 'src', 'index.html'), 'utf8')
  .replace('{{CSS}}', entry('.css'))
  .replace('{{JS}}', entry('.js'));
writeFileSync(join(dist, 'index.html'), html);

// The licenses of every package in the bundle.
const packages = new Map();
for (const input of Object.keys(result.metafile.inputs)) {
  const m = /^(.*node_modules[\\/](?:@[^\\/]+[\\/])?[^\\/]+)[\\/]/.exec(input.replace(/^[a-z-]+:/, ''));
  if (!m) continue;
  const dir = join(here, m[1]);
  if (packages.has(dir)) continue;
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
  packages.set(dir, { name: pkg.name, version: pkg.version, license: pkg.license, text: file ? readFileSync(join(dir, file), 'utf8').trim() : '' });
}
const licenses = [...packages.values()]
  .sort((a, b) => a.name.localeCompare(b.name))
  .map((p) => `${p.name} ${p.version} (${p.license || 'see text'})\n\n${p.text || '(no license file in the package)'}\n`)
  .join('\n' + '-'.repeat(72) + '\n\n');
const fonts = 'The fonts in fonts/ come inlined in @graphiql/react/font: Roboto (Apache License 2.0) and\n' +
  'Fira Code (SIL Open Font License 1.1), each split here into one file per unicode range.\n';
writeFileSync(join(assets, 'licenses.txt'),
  'custgraph GraphQL IDE: third-party software bundled in this directory.\n\n' + fonts + '\n' + '='.repeat(72) + '\n\n' + licenses);

// No load from another origin: CSS url() and @import, HTML src/href,
// React's src prop, JS import()/import/fetch() of an absolute http(s) or
// protocol-relative URL (internal/ide's tests check the same), source maps.
const external = [
  /(?:url\(\s*['"]?|@import\s+['"]?|\b(?:src|href|srcset|action|poster)\s*=\s*['"]?|\bsrc\s*:\s*['"`]|\bimport\s*\(\s*['"`]|\b(?:import|from)\s*['"`]|\bfetch\s*\(\s*['"`])(?:https?:)?\/\//i,
  /sourceMappingURL=/,
];
const files = [];
const walk = (d) => readdirSync(d).forEach((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : files.push(join(d, f))));
walk(dist);
let bad = 0;
let total = 0;
for (const f of files) {
  total += statSync(f).size;
  if (!/\.(html|js|css)$/.test(f)) continue;
  const text = readFileSync(f, 'utf8');
  for (const re of external) {
    const m = re.exec(text);
    if (m) {
      console.error(`external load in ${relative(dist, f)}: …${text.slice(Math.max(0, m.index - 40), m.index + 80)}…`);
      bad++;
    }
  }
}
if (bad) process.exit(1);

const kb = (n) => `${(n / 1024).toFixed(0)} KiB`;
const digest = createHash('sha256');
for (const f of files.sort()) digest.update(relative(dist, f)).update(readFileSync(f));
for (const f of files.filter((f) => !f.includes(`${sep}fonts${sep}`))) console.log(`  ${relative(dist, f)}  ${kb(statSync(f).size)}`);
console.log(`  ide/fonts/  ${fontFiles.size} files, ${kb([...fontFiles.values()].reduce((n, b) => n + b.length, 0))}`);
console.log(`internal/ide/dist: ${files.length} files, ${kb(total)}, sha256 ${digest.digest('hex').slice(0, 16)}`);
