// The demo page's text panel (demo/text-panel.js) in headless Chromium: greedy generation from a
// char-level model with a vocabulary file, and texts predicted by a model with TextVectorization
// inside, must show what Node's generate / predict give.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, FLAGS, startDemoServer, openDemoPage } from '../support/demo-browser.js';
import { loadModel, generate } from '../../dist/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TEXT = path.join(ROOT, 'test/fixtures/text');
const state = {};

if (!CHROMIUM) {
  test('demo text panel in headless Chromium', () => {
    console.log('skipped: chromium not found at /usr/bin/chromium (install it: apt-get install chromium); the demo text-panel test did not run');
  });
} else {
  test.before(async () => {
    const { chromium } = await import('playwright-core');
    ({ server: state.server, origin: state.origin } = await startDemoServer(ROOT));
    state.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kerasrnn-text-demo-'));
    state.context = await chromium.launchPersistentContext(path.join(state.dir, 'profile'), { executablePath: CHROMIUM, headless: true, args: FLAGS });
  });

  test.after(async () => {
    await state.context?.close().catch(() => {});
    if (state.server?.pid) {
      try {
        process.kill(-state.server.pid, 'SIGTERM');
      } catch {}
    }
    if (state.dir) fs.rmSync(state.dir, { recursive: true, force: true });
  });

  test('char-level generator with a vocabulary file: the shown text is Node generate()', async () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(TEXT, 'manifest.json'), 'utf8'));
    const e = manifest.models.find((m) => m.id === 'char_window_k2');
    const vocab = path.join(state.dir, 'chars.json');
    fs.writeFileSync(vocab, JSON.stringify(e.vocabulary));
    const prompt = e.greedy.prompt.map((i) => e.vocabulary[i]).join('');
    const { page, errors } = await openDemoPage(state);
    await page.setInputFiles('#model-file', path.join(TEXT, e.model));
    await page.waitForSelector('#text-section:not([hidden])', { timeout: 20000 });
    await page.setInputFiles('#text-vocab', vocab);
    await page.waitForFunction(() => /vocabulary of/.test(document.getElementById('text-status').textContent), null, { timeout: 10000 });
    await page.fill('#text-input', prompt);
    await page.fill('#text-steps', '12');
    await page.fill('#text-temperature', '0');
    await page.click('#text-generate');
    await page.waitForFunction(() => document.getElementById('text-output').textContent.length > 0, null, { timeout: 20000 });
    const shown = (await page.textContent('#text-output')).split('\n\n')[0];
    const model = await loadModel(path.join(TEXT, e.model));
    assert.is(shown, generate(model, { prompt, vocabulary: e.vocabulary, steps: 12, temperature: 0 }).text);
    assert.is(shown, e.greedy.ids.map((i) => e.vocabulary[i]).join(''));
    assert.equal(errors, []);
    await page.close();
  });

  test('a model that takes texts: one prediction per line, as Node predict', async () => {
    const file = path.join(TEXT, 'preprocessing/sentiment_assets_k3.keras');
    const page = await state.context.newPage();
    await page.goto(`${state.origin}/`);
    await page.setInputFiles('#model-file', file);
    await page.waitForSelector('#text-predict:not([hidden])', { timeout: 20000 });
    const texts = ['The movie was GOOD!', 'an awful, awful plot...'];
    await page.fill('#text-input', texts.join('\n'));
    await page.click('#text-predict');
    await page.waitForFunction(() => document.getElementById('text-output').textContent.length > 0, null, { timeout: 20000 });
    const shown = (await page.textContent('#text-output')).split('\n').map((l) => Number(/\[(.*)\]$/.exec(l)[1]));
    const y = (await loadModel(file)).predict(texts);
    assert.equal(shown, Array.from(y.data, (v) => +v.toFixed(5)));
    await page.close();
  });
}

test.run();
