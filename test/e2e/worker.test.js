// `loadModel(src, { worker: true })` in a browser: headless Chromium imports the browser bundle
// from the demo server, which starts kerasrnn-worker.js beside it. While a heavy predict runs
// (the example model over a few thousand rows, a few hundred ms), the page's timers keep firing
// with predictAsync but stall for the whole call with the synchronous predict; the worker's
// results equal the main thread's bit for bit, and its errors are the same classes and fields.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, startBrowser, openDemoPage } from '../support/demo-browser.js';

import { loadModel } from '../../dist/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MODEL = path.join(ROOT, 'examples/sine_forecaster.h5');
const ROWS = 6000;
const state = {};

if (!CHROMIUM) {
  test('worker model in headless Chromium', () => {
    console.log('skipped: chromium not found at /usr/bin/chromium; the browser worker test did not run');
  });
} else {
  test.before(async () => {
    Object.assign(state, await startBrowser(ROOT));
  });

  test.after(async () => {
    await state.stop?.();
  });

  test('predictAsync keeps the page responsive and returns predict\'s bits; errors keep their class and fields', async () => {
    const { page, errors } = await openDemoPage(state);
    const r = await page.evaluate(async (rows) => {
      const { loadModel, InputError } = await import('/kerasrnn.js');
      const url = new URL('/examples/sine_forecaster.h5', location.href);
      const model = await loadModel(url);
      const worker = await loadModel(url, { worker: true });
      const x = { data: Float32Array.from({ length: rows * 50 }, (_, i) => Math.sin(i / 7) * Math.cos(i / 13)), shape: [rows, 50, 1] };

      /** Runs `work` while a 1 ms setTimeout chain and requestAnimationFrame tick; the longest gap between ticks of each. */
      async function watch(work) {
        let stop = false;
        const gaps = { timeout: 0, frame: 0, timeouts: 0, frames: 0 };
        let lastT = performance.now();
        let lastF = null;
        const onTimeout = () => {
          const now = performance.now();
          gaps.timeout = Math.max(gaps.timeout, now - lastT);
          gaps.timeouts++;
          lastT = now;
          if (!stop) setTimeout(onTimeout, 1);
        };
        const onFrame = (now) => {
          if (lastF !== null) gaps.frame = Math.max(gaps.frame, now - lastF);
          gaps.frames++;
          lastF = now;
          if (!stop) requestAnimationFrame(onFrame);
        };
        setTimeout(onTimeout, 1);
        requestAnimationFrame(onFrame);
        await new Promise((res) => setTimeout(res, 100));
        Object.assign(gaps, { timeout: 0, frame: 0, timeouts: 0, frames: 0 });
        const t0 = performance.now();
        const y = await work();
        const ms = performance.now() - t0;
        await new Promise((res) => setTimeout(res, 50));
        stop = true;
        return { y, ms, ...gaps };
      }

      await worker.predictAsync({ data: x.data.subarray(0, 50), shape: [1, 50, 1] }); // warm the worker
      model.predict({ data: x.data.subarray(0, 50), shape: [1, 50, 1] });
      const sync = await watch(async () => model.predict(x));
      const async = await watch(() => worker.predictAsync(x));
      const same = sync.y.data.length === async.y.data.length && new Uint8Array(sync.y.data.buffer).every((b, i) => b === new Uint8Array(async.y.data.buffer)[i]);

      // transfer: the input's buffer moves to the worker (detached here), the answer is the same.
      const copy = { data: x.data.slice(0, 100), shape: [2, 50, 1] };
      const moved = await worker.predictAsync(copy, { transfer: true });
      const transferred = { detached: copy.data.length === 0, values: Array.from(moved.data), main: Array.from(model.predict({ data: x.data.slice(0, 100), shape: [2, 50, 1] }).data) };

      const errorOf = async (f) => {
        try {
          await f();
          return null;
        } catch (e) {
          return { isInputError: e instanceof InputError, name: e.name, message: e.message, context: e.context };
        }
      };
      const bad = { data: new Float32Array(6), shape: [1, 3, 2] };
      const workerError = await errorOf(() => worker.predictAsync(bad));
      const mainError = await errorOf(() => model.predict(bad));

      const stream = await worker.streamAsync();
      const first = await stream.step({ data: x.data.slice(0, 25), shape: [1, 25, 1] });
      const second = await stream.step({ data: x.data.slice(25, 50), shape: [1, 25, 1] });
      const mainStream = model.stream();
      mainStream.step({ data: x.data.slice(0, 25), shape: [1, 25, 1] });
      const streamed = { worker: Array.from(second.data), main: Array.from(mainStream.step({ data: x.data.slice(25, 50), shape: [1, 25, 1] }).data), firstShape: first.shape };

      const info = { summary: worker.summary() === model.summary(), numParams: [worker.numParams, model.numParams], inputs: [worker.inputs, model.inputs] };
      await worker.dispose();
      const afterDispose = await errorOf(() => worker.predictAsync(x));
      const fromWorker = Array.from(async.y.data.subarray(0, 64));
      return { sync: { ...sync, y: undefined }, async: { ...async, y: undefined }, same, transferred, workerError, mainError, streamed, info, afterDispose, fromWorker };
    }, ROWS);
    assert.equal(errors, []);
    console.log(`  ${ROWS} rows: predict ${r.sync.ms.toFixed(0)} ms, longest timer gap ${r.sync.timeout.toFixed(0)} ms, frame gap ${r.sync.frame.toFixed(0)} ms (${r.sync.timeouts} timer ticks); predictAsync ${r.async.ms.toFixed(0)} ms, longest timer gap ${r.async.timeout.toFixed(0)} ms, frame gap ${r.async.frame.toFixed(0)} ms (${r.async.timeouts} timer ticks, ${r.async.frames} frames)`);

    assert.ok(r.same, 'predictAsync returns predict\'s bits');
    // The synchronous predict holds the page for (about) its whole duration ...
    assert.ok(r.sync.timeout >= 0.8 * r.sync.ms, `predict blocks the timers: gap ${r.sync.timeout} ms for a ${r.sync.ms} ms predict`);
    assert.ok(r.sync.ms > 100, `the model is heavy enough to tell: ${r.sync.ms} ms`);
    // ... predictAsync does not: timers and frames keep coming all along. The bounds are relative:
    // on a loaded machine the page itself is descheduled for tens of ms now and then.
    assert.ok(r.async.timeout < r.sync.timeout / 4, `predictAsync leaves timers running: longest gap ${r.async.timeout} ms vs ${r.sync.timeout} ms`);
    assert.ok(r.async.timeouts > 10, `timer ticks during predictAsync: ${r.async.timeouts}`);
    if (r.async.frames > 2) assert.ok(r.async.frame < r.sync.ms / 4, `frames keep coming: longest gap ${r.async.frame} ms (predict ${r.sync.ms} ms)`);

    assert.ok(r.transferred.detached, 'transfer: true hands the input buffer over');
    assert.equal(r.transferred.values, r.transferred.main);

    assert.ok(r.workerError?.isInputError, 'the worker\'s InputError is an InputError here');
    assert.equal(r.workerError, r.mainError);
    assert.equal(r.workerError.context.field, 'lstm_input');

    assert.equal(r.streamed.worker, r.streamed.main);
    assert.equal(r.streamed.firstShape, [1, 1]);
    assert.equal(r.info, { summary: true, numParams: [r.info.numParams[1], r.info.numParams[1]], inputs: [r.info.inputs[1], r.info.inputs[1]] });
    assert.ok(r.afterDispose?.isInputError && /disposed/.test(r.afterDispose.message));

    // The same wasm in Node gives the same numbers.
    const node = await loadModel(MODEL);
    const xs = Float32Array.from({ length: ROWS * 50 }, (_, i) => Math.sin(i / 7) * Math.cos(i / 13));
    assert.equal(Array.from(node.predict({ data: xs, shape: [ROWS, 50, 1] }).data.subarray(0, 64)), r.fromWorker);
    await page.close();
  });
}

test.run();
