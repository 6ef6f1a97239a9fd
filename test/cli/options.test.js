// The predict options around the main job: --outputs (any layer), --argmax / --top-k with --labels,
// --threads; one-line CSV input; a weights-only file given alone; output names shared by inspect
// and the files predict writes; and the --help examples, which must run as printed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { loadModel, parseNpy, encodeNpy } from '../../dist/index.js';
import { runCli, tempDir, EXAMPLE, EXAMPLE_INPUT, FIXTURES, ROOT } from './helpers.js';

/** Starts `kerasrnn serve ...`, returns its stderr once it says where it listens, and stops it. */
function serveUntilListening(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'dist/cli/main.js'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve did not start in 60 s:\n${text}`));
    }, 60000);
    const onData = (chunk) => {
      text += chunk;
      if (/http:\/\/127\.0\.0\.1:\d+/.test(text)) {
        clearTimeout(timer);
        child.once('exit', () => resolve(text));
        child.kill('SIGTERM');
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
  });
}

const CLASSIFIER = path.join(FIXTURES, 'embedding_lstm_softmax.h5'); // (None, 7) ids -> softmax 4
const IDS = [[3, 1, 4, 1, 5, 9, 2], [6, 5, 3, 5, 8, 9, 7], [2, 7, 1, 8, 2, 8, 1]];

/** Class indices by descending score (ties: lower index first), computed here from the scores. */
const ranking = (row) => Array.from(row.keys()).sort((a, b) => row[b] - row[a] || a - b);

test('--outputs: any layer output by name (name:i for the i-th); unknown names refused before reading input', async () => {
  const r = runCli(['predict', EXAMPLE, '-i', EXAMPLE_INPUT, '--outputs', 'lstm,dense', '--json']);
  assert.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(Object.keys(out), ['lstm', 'dense']);
  const model = await loadModel(EXAMPLE);
  const x = parseNpy(fs.readFileSync(EXAMPLE_INPUT));
  const [h, y] = model.predict(x, { outputs: ['lstm', 'dense'] });
  assert.equal(out.lstm.flat().map(Math.fround), Array.from(h.data));
  assert.equal(out.dense.flat().map(Math.fround), Array.from(y.data));
  model.dispose();
  const bad = runCli(['predict', EXAMPLE, '-i', EXAMPLE_INPUT, '--outputs', 'lstm_9']);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /--outputs: the model has no layer "lstm_9"\n  hint: choose among lstm_input, lstm, dense/);
  const idx = runCli(['predict', EXAMPLE, '-i', EXAMPLE_INPUT, '--outputs', 'lstm:1']);
  assert.match(idx.stderr, /layer "lstm" has 1 output, "lstm:1" asks for output 1/);
});

test('--argmax / --top-k rank the classes (with --labels as text lines or JSON); refused with --output or a wrong label count', async () => {
  const t = tempDir();
  try {
    fs.writeFileSync(t.file('ids.json'), JSON.stringify(IDS));
    fs.writeFileSync(t.file('labels.txt'), 'north\neast\nsouth\nwest\n');
    fs.writeFileSync(t.file('labels.json'), JSON.stringify({ north: 0, east: 1, south: 2, west: 3 }));
    fs.writeFileSync(t.file('three.txt'), 'a\nb\nc\n');
    const model = await loadModel(CLASSIFIER);
    const y = model.predict({ data: Float32Array.from(IDS.flat()), shape: [3, 7] });
    model.dispose();
    const rows = [0, 1, 2].map((r) => y.data.subarray(r * 4, r * 4 + 4));
    const names = ['north', 'east', 'south', 'west'];

    const k2 = runCli(['predict', CLASSIFIER, '-i', t.file('ids.json'), '--top-k', '2', '--labels', t.file('labels.txt')]);
    assert.is(k2.code, 0, k2.stderr);
    const lines = k2.stdout.trim().split('\n');
    assert.is(lines[0], 'dense: top 2 of 4 classes');
    rows.forEach((row, r) => {
      const [a, b] = ranking(row);
      assert.match(lines[r + 1], new RegExp(`^sample ${r}: ${a} "${names[a]}" [0-9.e-]+, ${b} "${names[b]}" [0-9.e-]+$`));
      const scores = lines[r + 1].match(/ ([0-9.e-]+)(,|$)/g).map((s) => Math.fround(parseFloat(s)));
      assert.equal(scores, [row[a], row[b]], 'scores read back as the float32 values');
    });

    for (const labels of ['labels.txt', 'labels.json']) {
      const j = runCli(['predict', CLASSIFIER, '-i', t.file('ids.json'), '--argmax', '--labels', t.file(labels), '--json']);
      assert.is(j.code, 0, j.stderr);
      assert.equal(
        JSON.parse(j.stdout).map((s) => s.map((c) => [c.index, c.label])),
        rows.map((row) => [[ranking(row)[0], names[ranking(row)[0]]]]),
        labels,
      );
    }
    const noLabels = JSON.parse(runCli(['predict', CLASSIFIER, '-i', t.file('ids.json'), '--top-k', '9', '--json']).stdout);
    assert.equal(noLabels.map((s) => s.map((c) => c.index)), rows.map(ranking), 'k above the class count gives every class');
    assert.ok(!('label' in noLabels[0][0]));

    const cases = [
      [['--argmax', '-o', t.file('y.npy')], /cannot be combined with --output/],
      [['--top-k', '2', '--labels', t.file('three.txt')], /--labels gives 3 names, output "dense" has 4 classes/],
      [['--labels', t.file('labels.txt')], /--labels names the classes of --top-k \/ --argmax/],
    ];
    for (const [args, re] of cases) {
      const r = runCli(['predict', CLASSIFIER, '-i', t.file('ids.json'), ...args]);
      assert.is(r.code, 1, args.join(' '));
      assert.is(r.stdout, '');
      assert.match(r.stderr, re);
    }
    const zero = runCli(['predict', CLASSIFIER, '-i', t.file('ids.json'), '--top-k', '0']);
    assert.is(zero.code, 2);
    assert.match(zero.stderr, /--top-k must be an integer >= 1/);
  } finally {
    t.remove();
  }
});

test('--top-k with --tokenizer: the tokenizer\'s words name the classes of an output over its vocabulary', async () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'text/manifest.json'), 'utf8'));
  const word = manifest.models.find((m) => m.id === 'word_window_tf');
  const t = tempDir();
  try {
    const wordIndex = Object.fromEntries(word.vocabulary.slice(1).map((w, i) => [w, i + 1]));
    fs.writeFileSync(t.file('tok.json'), JSON.stringify(wordIndex));
    const file = path.join(FIXTURES, 'text', word.model);
    const r = runCli(['predict', file, '--tokenizer', t.file('tok.json'), '--text', 'the cat sat', '--top-k', '3', '--json']);
    assert.is(r.code, 0, r.stderr);
    const model = await loadModel(file);
    const y = model.predict({ data: Float32Array.from([0, 0, wordIndex.the, wordIndex.cat, wordIndex.sat]), shape: [1, 5] });
    model.dispose();
    const best = ranking(y.data).slice(0, 3);
    assert.equal(JSON.parse(r.stdout)[0].map((c) => [c.index, c.label]), best.map((i) => [i, i === 0 ? '(padding)' : word.vocabulary[i]]));
  } finally {
    t.remove();
  }
});

test('--threads: same numbers as one thread; the verbose line says so, with thousands separators', () => {
  const t = tempDir();
  try {
    // 300 samples: large enough for the batch to be split over the workers.
    const data = Float32Array.from({ length: 300 * 50 }, (_, i) => Math.fround(Math.sin(i / 7)));
    fs.writeFileSync(t.file('x.npy'), encodeNpy({ data, shape: [300, 50, 1] }));
    const one = runCli(['predict', EXAMPLE, '-i', t.file('x.npy'), '-o', t.file('y1.npy'), '-q']);
    const two = runCli(['predict', EXAMPLE, '-i', t.file('x.npy'), '-o', t.file('y2.npy'), '--threads', '2', '--batch-size', '300', '-v']);
    assert.is(one.code, 0, one.stderr);
    assert.is(two.code, 0, two.stderr);
    assert.equal(fs.readFileSync(t.file('y2.npy')), fs.readFileSync(t.file('y1.npy')));
    assert.match(two.stderr, /\(Sequential, 3 layers, 4,385 params, 2 threads\)/);
    assert.match(two.stderr, /read 300 samples/);
  } finally {
    t.remove();
  }
});

test('a one-line CSV is one sample of data, not a header (a bad cell in it is reported as data)', async () => {
  const t = tempDir();
  try {
    const values = Array.from({ length: 50 }, (_, i) => Math.fround(Math.cos(i / 5)));
    fs.writeFileSync(t.file('one.csv'), `${values.join(',')}\n`);
    fs.writeFileSync(t.file('bad.csv'), `${values.slice(0, 49).join(',')},x\n`);
    const r = runCli(['predict', EXAMPLE, '-i', t.file('one.csv'), '--json']);
    assert.is(r.code, 0, r.stderr);
    const model = await loadModel(EXAMPLE);
    assert.equal(JSON.parse(r.stdout).flat().map(Math.fround), Array.from(model.predict({ data: Float32Array.from(values), shape: [1, 50, 1] }).data));
    model.dispose();
    const b = runCli(['predict', EXAMPLE, '-i', t.file('bad.csv')]);
    assert.is(b.code, 1);
    assert.match(b.stderr, /bad\.csv" line 1, column 50: "x" is not a number/);
  } finally {
    t.remove();
  }
});

test('a weights-only .h5 given as the model points to -w', () => {
  const r = runCli(['inspect', path.join(FIXTURES, 'k1_lstm.weights.h5')]);
  assert.is(r.code, 1);
  assert.match(r.stderr, /k1_lstm\.weights\.h5" holds weights only \(model\.save_weights\(\)\), not a model/);
  assert.match(r.stderr, /hint: give the architecture file with the weights: kerasrnn <command> model\.json -w .*k1_lstm\.weights\.h5/);
  assert.not.match(r.stderr, /loadModel/);
});

test('several outputs: inspect lists the names predict writes its files under', async () => {
  const file = path.join(FIXTURES, 'return_state_encoder.h5');
  const t = tempDir();
  try {
    const x = Float32Array.from({ length: 2 * 5 * 3 }, (_, i) => Math.fround(Math.sin(i)));
    fs.writeFileSync(t.file('x.npy'), encodeNpy({ data: x, shape: [2, 5, 3] }));
    const p = runCli(['predict', file, '-i', t.file('x.npy'), '-o', t.file('y.npy')]);
    assert.is(p.code, 0, p.stderr);
    const written = fs.readdirSync(t.dir).filter((f) => f.startsWith('y.')).sort();
    const i = runCli(['inspect', file]);
    const listed = /Outputs: +(.*)/.exec(i.stdout)[1].split(/, (?=encoder)/).map((s) => s.split(' ')[0]);
    assert.equal(listed, ['encoder_lstm', 'encoder_lstm_1', 'encoder_lstm_2', 'encoder_gru', 'encoder_gru_1']);
    assert.equal(written, listed.map((n) => `y.${n}.npy`).sort());
    const model = await loadModel(file);
    const named = model.predictNamed({ data: x, shape: [2, 5, 3] });
    for (const n of listed) assert.equal(Array.from(parseNpy(fs.readFileSync(t.file(`y.${n}.npy`))).data), Array.from(named[n].data), n);
    model.dispose();
  } finally {
    t.remove();
  }
});

test('every --help example runs as printed (files the package ships)', async () => {
  const h = runCli(['--help']);
  const examples = h.stdout.split('\n').filter((l) => /^ {2}kerasrnn /.test(l));
  assert.ok(examples.length >= 4, h.stdout);
  const t = tempDir();
  try {
    for (const line of examples) {
      const args = line.trim().split(/\s+/).slice(1).map((a) => (a === 'y.npy' || a === 'sine.keras' ? t.file(a) : a));
      for (const a of args) if (/\.(h5|npy)$/.test(a) && a !== t.file('y.npy')) assert.ok(fs.existsSync(path.resolve(ROOT, a)), `${a} exists`);
      if (args[0] === 'serve') {
        // A server runs until stopped: it must come up (on a free port here) and stop on SIGTERM.
        const port = args.indexOf('--port');
        if (port >= 0) args[port + 1] = '0';
        const up = await serveUntilListening(args);
        assert.match(up, /kerasrnn serve: sine_forecaster on http:\/\/127\.0\.0\.1:\d+/, line);
        continue;
      }
      const r = runCli(args);
      assert.is(r.code, 0, `${line}\n${r.stderr}`);
    }
  } finally {
    t.remove();
  }
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  assert.ok(pkg.files.includes('examples'), 'examples/ is in the package');
});

test.run();
