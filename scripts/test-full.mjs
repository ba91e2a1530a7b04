// `pnpm test:full [vitest args]`: the full tier. Every property runs its full-tier count (10⁴ cases
// per node contract, shared by its properties, 10⁵ where a test asks for it; other properties 10×
// their fast count; FULL_RUNS=<n> sets every property's count for a shorter run), on two workers
// (FULL_WORKERS=<n> to change), with no per-test timeout. It records the
// cases and the worst error/tolerance of every test (scripts/test-figures.ts) and writes
// out/full-tier/summary.md; `--write-docs` also puts the table in docs/testing.md.
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

const args = process.argv.slice(2);
const writeDocs = args.includes('--write-docs');
// --summarize-only: rebuild the summary from the figures of an earlier (possibly interrupted) run.
const summarizeOnly = args.includes('--summarize-only');
const vitestArgs = args.filter((a) => a !== '--write-docs' && a !== '--summarize-only');
const dir = 'out/full-tier';
mkdirSync(dir, { recursive: true });
const figuresFile = `${dir}/figures.jsonl`;
const resultsFile = `${dir}/results.json`;
if (!summarizeOnly) rmSync(figuresFile, { force: true });

const workers = Number(process.env.FULL_WORKERS ?? 2);
const started = Date.now();
const load = loadavg()[0].toFixed(1);
const r = summarizeOnly
  ? { status: 0 }
  : spawnSync(
      'pnpm',
      [
        'exec',
        'vitest',
        'run',
        `--maxWorkers=${workers}`,
        '--testTimeout=0',
        '--reporter=default',
        '--reporter=json',
        `--outputFile.json=${resultsFile}`,
        ...vitestArgs,
      ],
      { stdio: 'inherit', env: { ...process.env, FULL: '1', FULL_REPORT: figuresFile } },
    );
const minutes = (Date.now() - started) / 60000;

// Figures per test, merged over the lines the test files wrote.
const figures = new Map();
if (existsSync(figuresFile)) {
  for (const line of readFileSync(figuresFile, 'utf8').split('\n')) {
    if (!line) continue;
    const f = JSON.parse(line);
    const key = `${f.file}\u0000${f.test}`;
    const prev = figures.get(key);
    if (!prev || f.worstRatio > prev.worstRatio) figures.set(key, { ...f, cases: f.cases + (prev?.cases ?? 0) });
    else prev.cases += f.cases;
  }
}
// Outcomes per test from vitest's JSON report.
const outcomes = new Map();
if (existsSync(resultsFile)) {
  for (const file of JSON.parse(readFileSync(resultsFile, 'utf8')).testResults ?? []) {
    for (const t of file.assertionResults ?? []) outcomes.set(t.fullName, t.status);
  }
}

// One row per node contract (describe "<node> — optimization node contract"), one per other file.
const groups = new Map();
// The contract's own tests run deliberately broken nodes: their errors are the point, not figures.
const meta = (file) => file.endsWith('optimization/contract.test.ts');
const known = outcomes.size > 0;
for (const f of figures.values()) {
  if (meta(f.file)) continue;
  const [suite, ...rest] = f.test.split(' > ');
  const group = suite.includes('optimization node contract') ? `\`${suite.split(' — ')[0]}\` contract` : `${f.file}`;
  const g = groups.get(group) ?? { properties: 0, perProperty: [], cases: 0, worst: 0, worstAt: '', failed: 0 };
  g.properties++;
  g.cases += f.cases;
  g.perProperty.push(f.cases);
  if (f.worstRatio > g.worst) Object.assign(g, { worst: f.worstRatio, worstAt: rest.join(' > ') || suite });
  if (outcomes.get(f.test) === 'failed') g.failed++;
  groups.set(group, g);
}
const failedTotal = [...outcomes.values()].filter((s) => s === 'failed').length;
const rows = [...groups].sort(([a], [b]) => a.localeCompare(b));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? 0;
const fmt = (x) => (x === 0 ? '0' : x.toExponential(1));
const summary = [
  summarizeOnly
    ? `Full tier figures from ${figuresFile}${process.env.FULL_RUNS ? `, FULL_RUNS=${process.env.FULL_RUNS}` : ''}.`
    : `Full tier, ${new Date(started).toISOString().slice(0, 16)} UTC: ${minutes.toFixed(1)} min on ${cpus().length} cores (load ${load} at the start), ${workers} worker${workers === 1 ? '' : 's'}, seed ${process.env.FC_SEED ?? 20261123}${process.env.FULL_RUNS ? `, FULL_RUNS=${process.env.FULL_RUNS}` : ''}${vitestArgs.length ? `, \`${vitestArgs.join(' ')}\`` : ''}.`,
  known ? `${outcomes.size} tests, ${failedTotal} failed.` : 'Interrupted run: outcomes from the log, not from a vitest report.',
  "The contract's own tests (test/optimization/contract.test.ts), which run deliberately broken nodes, are left out.",
  '',
  '| suite | properties | cases (median per property; a node’s several contracts add up) | worst error / tolerance | where | failed |',
  '|---|---:|---:|---:|---|---:|',
  ...rows.map(
    ([name, g]) =>
      `| ${name} | ${g.properties} | ${g.cases.toLocaleString('en-US')} (${median(g.perProperty).toLocaleString('en-US')}) | ${fmt(g.worst)} | ${g.worstAt} | ${known ? g.failed : '?'} |`,
  ),
  '',
].join('\n');
writeFileSync(`${dir}/summary.md`, summary);
console.log(`\n${summary}`);

if (writeDocs) {
  const doc = 'docs/testing.md';
  const text = readFileSync(doc, 'utf8');
  const [start, end] = ['<!-- full-tier:start -->', '<!-- full-tier:end -->'];
  if (!text.includes(start) || !text.includes(end)) throw new Error(`${doc} has no ${start} … ${end} section`);
  writeFileSync(doc, `${text.slice(0, text.indexOf(start) + start.length)}\n${summary}${text.slice(text.indexOf(end))}`);
  console.log(`wrote the table into ${doc}`);
}
process.exit(r.status ?? 1);
