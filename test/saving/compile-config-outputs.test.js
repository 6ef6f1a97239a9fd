// The compile configuration of a model with several outputs is written back per output: the
// losses keyed by output name, `loss_weights` and the metrics as compile took them from the file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadModel } from '../../dist/index.js';

const FILE = 'test/fixtures/training/train_multi_io_shared.h5';

test('a two-output model saved after compile keeps its losses, loss_weights and metrics per output (.h5 and .keras)', async () => {
  const model = await loadModel(FILE);
  const given = model.trainingConfig.raw;
  assert.equal(given.loss_weights, [0.7, 0.3], 'the fixture states its loss_weights');
  model.compile();
  for (const format of ['h5', 'keras']) {
    const again = await loadModel(await model.save({ format }));
    const raw = again.trainingConfig.raw;
    assert.equal(raw.loss_weights, [0.7, 0.3], `${format}: loss_weights`);
    assert.equal(Object.keys(raw.loss).sort(), ['out_cls', 'out_reg'], `${format}: one loss per output name`);
    assert.ok(JSON.stringify(raw.loss.out_cls).includes('categorical_crossentropy'), `${format}: out_cls loss ${JSON.stringify(raw.loss.out_cls)}`);
    assert.ok(JSON.stringify(raw.metrics).includes('accuracy'), `${format}: metrics ${JSON.stringify(raw.metrics)}`);
    // compile() of the reloaded file weights the outputs as the original did
    again.compile();
    const x = [new Float32Array(4 * 5 * 3).fill(0.2), new Float32Array(4 * 5 * 3).fill(-0.1)].map((data) => ({ data, shape: [4, 5, 3] }));
    const y = [{ data: new Float32Array(8).fill(0.5), shape: [4, 2] }, { data: Float32Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? 1 : 0)), shape: [4, 3] }];
    const a = await model.evaluate(x, y, { returnDict: true });
    const b = await again.evaluate(x, y, { returnDict: true });
    assert.ok(Math.abs(a.loss - b.loss) <= 1e-6 * Math.abs(a.loss), `${format}: the same weighted loss ${a.loss} vs ${b.loss}`);
  }
});

test.run();
