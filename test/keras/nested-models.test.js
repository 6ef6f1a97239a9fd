// Nested models (a model used as a layer) in Keras 1, 2 and 3 configs: inlining, node indices,
// names, shapes and parameter counts, weights grouping, refusals. Numeric checks with weights
// are in test/differential/keras3.test.js (fixtures k3_nested_*, k2_nested_frozen).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadModel, InvalidKerasConfigurationError, UnsupportedKerasConfigurationError } from '../../dist/index.js';
import { parseModelConfig } from '../../dist/keras/model-config.js';
import { T, input, layer, functional } from '../support/keras3.js';

const K2 = { major: 2, version: '2.4.0', inferred: false };
const K3 = { major: 3, version: '3.10.0', inferred: false };

/** A tf.keras 2.x functional config calling a nested Sequential (first call = node 1). */
function tfKerasNested(nodeIndex = 1) {
  return {
    class_name: 'Functional',
    keras_version: '2.4.0',
    backend: 'tensorflow',
    config: {
      name: 'outer',
      layers: [
        { class_name: 'InputLayer', config: { batch_input_shape: [null, 5, 3], dtype: 'float32', name: 'series' }, name: 'series', inbound_nodes: [] },
        {
          class_name: 'Sequential',
          name: 'encoder',
          config: {
            name: 'encoder',
            layers: [
              { class_name: 'InputLayer', config: { batch_input_shape: [null, 5, 3], dtype: 'float32', name: 'lstm_input' } },
              { class_name: 'LSTM', config: { name: 'lstm', units: 4, return_sequences: true, trainable: false } },
              { class_name: 'Dense', config: { name: 'dense', units: 3 } },
            ],
          },
          inbound_nodes: [[['series', 0, 0, {}]]],
        },
        { class_name: 'GRU', config: { name: 'gru', units: 2, reset_after: true }, name: 'gru', inbound_nodes: [[['encoder', nodeIndex, 0, {}]]] },
        { class_name: 'Dense', config: { name: 'dense_1', units: 1 }, name: 'dense_1', inbound_nodes: [[['gru', 0, 0, {}]]] },
      ],
      input_layers: [['series', 0, 0]],
      output_layers: [['dense_1', 0, 0]],
    },
  };
}

test('tf.keras: a nested Sequential is inlined; its first call is node 1; shapes and parameter counts', async () => {
  const m = await loadModel({ config: tfKerasNested() });
  assert.equal(m.layers.map((l) => l.name), ['series', 'lstm', 'dense', 'gru', 'dense_1']);
  const by = Object.fromEntries(m.layers.map((l) => [l.name, l]));
  assert.equal(by.lstm.outputShape, [null, 5, 4]);
  assert.equal(by.dense.outputShape, [null, 5, 3]);
  assert.equal(by.gru.outputShape, [null, 2]);
  assert.is(by.lstm.numParams, 4 * (3 * 4 + 4 * 4 + 4));
  assert.is(by.gru.numParams, 3 * 6 + 2 * 6 + 2 * 6);
  assert.is(m.numParams, 128 + 15 + 42 + 3);
});

test('the savedLayers tree keeps the nested model as one entry with its frozen layer marked', () => {
  const spec = parseModelConfig(tfKerasNested(), 'x.json', K2);
  const enc = spec.savedLayers.find((s) => s.name === 'encoder');
  assert.ok(enc.children);
  assert.equal(enc.children.map((c) => [c.name, c.trainable, c.specName]), [['lstm', false, 'lstm'], ['dense', true, 'dense']]);
  assert.equal(spec.savedLayers.map((s) => s.name), ['series', 'encoder', 'gru', 'dense_1']);
});

test('a node index past the nested model\'s calls is an invalid configuration', async () => {
  try {
    await loadModel({ config: tfKerasNested(3) });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, InvalidKerasConfigurationError);
    assert.match(e.message, /no call for node index 3/);
    assert.is(e.context.layer, 'encoder');
  }
});

test('Keras 1: Model with a nested Sequential (config list), Keras 1 node numbering', async () => {
  const cfg = {
    class_name: 'Model',
    keras_version: '1.2.2',
    config: {
      name: 'model_1',
      layers: [
        { class_name: 'InputLayer', config: { batch_input_shape: [null, 6, 2], input_dtype: 'float32', sparse: false, name: 'input_1' }, name: 'input_1', inbound_nodes: [] },
        {
          class_name: 'Sequential',
          name: 'sequential_1',
          config: [{ class_name: 'LSTM', config: { name: 'lstm_1', output_dim: 3, batch_input_shape: [null, 6, 2], input_dim: 2, return_sequences: false } }],
          inbound_nodes: [[['input_1', 0, 0]]],
        },
        { class_name: 'Dense', config: { name: 'dense_1', output_dim: 2, input_dim: 3 }, name: 'dense_1', inbound_nodes: [[['sequential_1', 1, 0]]] },
      ],
      input_layers: [['input_1', 0, 0]],
      output_layers: [['dense_1', 0, 0]],
    },
  };
  const m = await loadModel({ config: cfg });
  assert.equal(m.layers.map((l) => l.name), ['input_1', 'lstm_1', 'dense_1']);
  assert.equal(m.outputs[0].shape, [null, 2]);
  assert.is(m.generation.major, 1);
});

test('Keras 3: a Functional inside a Sequential (first layer) takes the outer input; output node of a nested Functional is 1', async () => {
  const inner = functional(
    [input('inner_in', [null, 4, 3]), layer('LSTM', 'lstm', { units: 2, return_sequences: false }, [T('inner_in')], { training: false, mask: null })],
    [['inner_in', 0, 0]],
    [['lstm', 0, 0]],
    'inner',
  );
  const seq = {
    module: 'keras',
    class_name: 'Sequential',
    config: { name: 'seq', trainable: true, layers: [inner, { module: 'keras.layers', class_name: 'Dense', config: { name: 'dense', units: 1 } }] },
  };
  const m = await loadModel({ config: seq });
  assert.equal(m.layers.map((l) => l.name), ['inner_input', 'lstm', 'dense']);
  assert.equal(m.inputs[0].shape, [null, 4, 3]);
  const outer = functional(
    [input('x', [null, 4, 3]), { ...inner, name: 'inner', inbound_nodes: [{ args: [T('x')], kwargs: { training: false, mask: null } }] }],
    [['x', 0, 0]],
    [['inner', 1, 0]],
  );
  const m2 = await loadModel({ config: outer });
  assert.equal(m2.outputs, [{ name: 'lstm', layer: 'lstm', tensor: 0, shape: [null, 2] }]);
});

test('inner layer names that clash with outer ones become <model>/<layer>', async () => {
  const inner = functional(
    [input('inner_in', [null, 3]), layer('Dense', 'dense', { units: 2 }, [T('inner_in')])],
    [['inner_in', 0, 0]],
    [['dense', 0, 0]],
    'block',
  );
  const outer = functional(
    [
      input('x', [null, 3]),
      layer('Dense', 'dense', { units: 3 }, [T('x')]),
      { ...inner, name: 'block', inbound_nodes: [{ args: [T('dense')], kwargs: {} }] },
    ],
    [['x', 0, 0]],
    [['block', 1, 0]],
  );
  const m = await loadModel({ config: outer });
  assert.equal(m.layers.map((l) => l.name), ['x', 'dense', 'block/dense']);
  assert.is(m.layers[2].numParams, 3 * 2 + 2);
  const spec = parseModelConfig(outer, 'x.json', K3);
  assert.equal(spec.savedLayers.find((s) => s.name === 'block').children.map((c) => [c.name, c.specName]), [['inner_in', 'inner_in'], ['dense', 'block/dense']]);
});

test('a nested model the outer model never calls is refused', async () => {
  const inner = functional([input('i', [null, 3]), layer('Dense', 'd', { units: 2 }, [T('i')])], [['i', 0, 0]], [['d', 0, 0]], 'unused');
  const outer = functional([input('x', [null, 3]), { ...inner, name: 'unused', inbound_nodes: [] }, layer('Dense', 'out', { units: 1 }, [T('x')])], [['x', 0, 0]], [['out', 0, 0]]);
  try {
    await loadModel({ config: outer });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, UnsupportedKerasConfigurationError);
    assert.match(e.message, /never calls/);
    assert.is(e.context.layer, 'unused');
  }
});

test.run();
