import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { syntheticGraph } from '@argmin/viz';
import { afterAll, describe, expect, it } from 'vitest';
import { examples, type Io, run } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'argmin-cli-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture(extra: Partial<Io> = {}): Io & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: (t) => void (out += t),
    stderr: (t) => void (err += t),
    cwd: dir,
    ...extra,
    out: () => out,
    err: () => err,
  };
}

/** The JSON inside the page's data element. */
function embedded(html: string): unknown {
  const open = '<script type="application/json" id="argmin-graph">';
  const start = html.indexOf(open) + open.length;
  return JSON.parse(html.slice(start, html.indexOf('</script>', start)));
}

describe('argmin --help', () => {
  it('documents the commands', async () => {
    const io = capture();
    expect(await run(['--help'], io)).toBe(0);
    expect(io.out()).toContain('Usage: argmin <command>');
    expect(io.out()).toContain('view');
  });

  it('without arguments prints help and fails', async () => {
    const io = capture();
    expect(await run([], io)).toBe(2);
    expect(io.out()).toContain('Usage: argmin');
  });

  it('documents every option of view and lists the examples', async () => {
    const io = capture();
    expect(await run(['view', '--help'], io)).toBe(0);
    for (const flag of ['--output', '--example', '--serve', '--port', '--title', '--list-examples']) expect(io.out()).toContain(flag);
    for (const name of Object.keys(examples)) expect(io.out()).toContain(name);
  });

  it('rejects unknown commands and options with exit code 2', async () => {
    const a = capture();
    expect(await run(['frobnicate'], a)).toBe(2);
    expect(a.err()).toContain("unknown command 'frobnicate'");
    const b = capture();
    expect(await run(['view', '--nope'], b)).toBe(2);
    expect(b.err()).toContain("'--nope'");
  });
});

describe('argmin view', () => {
  it('writes a standalone page with the graph embedded', async () => {
    const graph = syntheticGraph({ nodes: 60, name: 'from a file' });
    writeFileSync(join(dir, 'g.json'), JSON.stringify(graph));
    const io = capture();
    mkdirSync(join(dir, 'out'), { recursive: true });
    expect(await run(['view', 'g.json', '-o', 'out/g.html', '--title', 'My <graph>'], io)).toBe(0);
    const html = readFileSync(join(dir, 'out/g.html'), 'utf8');
    expect(embedded(html)).toEqual(graph);
    expect(html).toContain('<title>My &#60;graph&#62;</title>');
    expect(io.out()).toContain('Wrote out/g.html');
  });

  it('names the output after the input by default', async () => {
    writeFileSync(join(dir, 'named.json'), JSON.stringify(syntheticGraph({ nodes: 40 })));
    expect(await run(['view', 'named.json'], capture())).toBe(0);
    expect(readFileSync(join(dir, 'named.html'), 'utf8')).toContain('argmin-graph');
  });

  it('writes a built-in example', async () => {
    const io = capture();
    expect(await run(['view', '--example', 'synthetic', '-o', 'ex.html'], io)).toBe(0);
    const graph = embedded(readFileSync(join(dir, 'ex.html'), 'utf8')) as { name: string };
    expect(graph.name).toBe('synthetic example');
    const bad = capture();
    expect(await run(['view', '--example', 'nope'], bad)).toBe(2);
    expect(bad.err()).toMatch(/Available: .*\bqp\b.*\bsynthetic\b/);
  });

  it('reads standard input with -', async () => {
    const graph = syntheticGraph({ nodes: 40, name: 'piped' });
    const io = capture({ stdin: async () => JSON.stringify(graph) });
    expect(await run(['view', '-', '-o', 'piped.html'], io)).toBe(0);
    expect(embedded(readFileSync(join(dir, 'piped.html'), 'utf8'))).toEqual(graph);
  });

  it('fails readably on missing, malformed and invalid files', async () => {
    const missing = capture();
    expect(await run(['view', 'absent.json'], missing)).toBe(1);
    expect(missing.err()).toContain('cannot read absent.json');
    writeFileSync(join(dir, 'broken.json'), '{"format":');
    const broken = capture();
    expect(await run(['view', 'broken.json'], broken)).toBe(1);
    expect(broken.err()).toContain('broken.json is not valid JSON');
    writeFileSync(join(dir, 'other.json'), JSON.stringify({ format: 'onnx' }));
    const other = capture();
    expect(await run(['view', 'other.json'], other)).toBe(1);
    expect(other.err()).toContain('not a valid argmin graph');
  });

  it('refuses to write into a missing directory, and reports write errors in one line', async () => {
    writeFileSync(join(dir, 'w.json'), JSON.stringify(syntheticGraph({ nodes: 40 })));
    const missing = capture();
    expect(await run(['view', 'w.json', '-o', 'no/such/dir/w.html'], missing)).toBe(1);
    expect(missing.err()).toMatch(
      /^argmin view: cannot write no\/such\/dir\/w\.html: the directory .* does not exist \(create it first\)\n$/,
    );
    expect(existsSync(join(dir, 'no'))).toBe(false);
    mkdirSync(join(dir, 'adir.html'), { recursive: true });
    const isDir = capture();
    expect(await run(['view', 'w.json', '-o', 'adir.html'], isDir)).toBe(1);
    expect(isDir.err()).toBe('argmin view: cannot write adir.html: it is a directory\n');
    expect(isDir.err()).not.toContain('    at ');
  });

  it('needs exactly one input', async () => {
    expect(await run(['view'], capture())).toBe(2);
    expect(await run(['view', 'a.json', '--example', 'synthetic'], capture())).toBe(2);
  });

  it('serves the page on 127.0.0.1 until stopped', async () => {
    const stop = new AbortController();
    let out = '';
    const io = capture({ signal: stop.signal, stdout: (t) => void (out += t) });
    const done = run(['view', '--example', 'synthetic', '--serve', '--port', '0'], io);
    await expect.poll(() => out, { timeout: 20_000 }).toContain('http://127.0.0.1:');
    const url = /http:\/\/127\.0\.0\.1:\d+\//.exec(out)![0];
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect((embedded(await res.text()) as { name: string }).name).toBe('synthetic example');
    expect((await fetch(`${url}other`)).status).toBe(404);
    stop.abort();
    expect(await done).toBe(0);
    expect(out).toContain('Stopped.');
  });

  it('builds every registered example as a graph', async () => {
    for (const [name, build] of Object.entries(examples)) {
      const g = await build();
      expect(g.format, name).toBe('argmin.graph');
      expect(g.nodes.length, name).toBeGreaterThan(0);
    }
  });
});
