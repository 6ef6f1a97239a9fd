// Binding SavedModel variables to Keras layers, on hand-made object graphs (plain objects shaped
// like the readers' output): the two object graphs are matched by edge names whatever their node
// ids, `layer-N` children are matched to the config's layers by name (nested models included),
// each layer's `variables` list gives its arrays in order, and what cannot be bound is refused.
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { matchCheckpointObjects } from '../../dist/keras/saved-model.js';
import { savedModelWeightSource } from '../../dist/keras/saved-model-weights.js';
import { InvalidKerasConfigurationError, ModelFileError } from '../../dist/errors.js';

const ref = (localName, nodeId) => ({ localName, nodeId });
const user = (children, identifier = '_tf_keras_layer') => ({ kind: 'user_object', identifier, metadata: '', children });
const variable = () => ({ kind: 'variable', children: [] });

test('matchCheckpointObjects: pairs objects reached by the same edge names, whatever the ids; skips edges one graph lacks', () => {
  // saved: 0 -layer-0-> 1 -cell-> 2 -kernel-> 3 ; 0 -keras_api-> 4 (not in the checkpoint)
  const saved = [user([ref('layer-0', 1), ref('keras_api', 4)]), user([ref('cell', 2)]), user([ref('kernel', 3)]), variable(), user([])];
  // checkpoint: other ids, another order, an alias edge to the same object
  const ckpt = [
    { children: [ref('layer_with_weights-0', 2), ref('layer-0', 2)], attributes: [], slotVariables: 0 },
    { children: [], attributes: [{ name: 'VARIABLE_VALUE', fullName: 'k', checkpointKey: 'layer_with_weights-0/cell/kernel/.ATTRIBUTES/VARIABLE_VALUE' }], slotVariables: 0 },
    { children: [ref('cell', 3)], attributes: [], slotVariables: 0 },
    { children: [ref('kernel', 1)], attributes: [], slotVariables: 0 },
  ];
  const m = matchCheckpointObjects(saved, ckpt);
  assert.equal([...m.entries()].sort((a, b) => a[0] - b[0]), [[0, 0], [1, 2], [2, 3], [3, 1]]);
  assert.not.ok(m.has(4));
});

/** A functional model: input layer, a nested Sequential (dense_a, dense_b), then an LSTM. */
function nestedGraph() {
  const nodes = [
    user([ref('layer-0', 1), ref('layer_with_weights-0', 2), ref('layer-1', 2), ref('layer_with_weights-1', 3), ref('layer-2', 3)], '_tf_keras_network'),
    user([], '_tf_keras_input_layer'),
    user([ref('layer_with_weights-0', 4), ref('layer-0', 4), ref('layer_with_weights-1', 5), ref('layer-1', 5)], '_tf_keras_sequential'),
    user([ref('cell', 6)], '_tf_keras_rnn_layer'),
    user([]),
    user([]),
    user([]),
  ];
  const objects = [
    { nodeId: 1, name: 'input_1' },
    { nodeId: 2, name: 'inner' },
    { nodeId: 3, name: 'lstm' },
    { nodeId: 4, name: 'dense_a' },
    { nodeId: 5, name: 'dense' }, // inlined into the outer model as 'inner/dense' (a name clash)
  ];
  const entry = (key, shape) => ({ key, dtype: 1, shape, shardId: 0, offset: 0, size: 0, crc32c: 0, sliced: false });
  const layers = new Map([
    [3, { variables: [{ name: 'k', entry: entry('lstm/k', [2, 8]) }, { name: 'r', entry: entry('lstm/r', [2, 8]) }, { name: 'b', entry: entry('lstm/b', [8]) }] }],
    [4, { variables: [{ name: 'a', entry: entry('a/k', [3, 2]) }] }],
    [5, { variables: [{ name: 'b', entry: entry('b/k', [2, 2]) }] }],
  ]);
  const arrays = new Map(['lstm/k', 'lstm/r', 'lstm/b', 'a/k', 'b/k'].map((k, i) => [k, Float32Array.of(i)]));
  return { nodes, objects, layers, arrays };
}

const SPEC = {
  savedLayers: [
    { name: 'input_1', className: 'InputLayer', trainable: true, specName: 'input_1' },
    {
      name: 'inner',
      className: 'Sequential',
      trainable: true,
      children: [
        { name: 'dense_a', className: 'Dense', trainable: true, specName: 'dense_a' },
        { name: 'dense', className: 'Dense', trainable: true, specName: 'inner/dense' },
      ],
    },
    { name: 'lstm', className: 'LSTM', trainable: true, specName: 'lstm' },
  ],
};

const requests = [
  { name: 'lstm', className: 'LSTM', expected: [{ name: 'kernel', shape: [2, 8] }, { name: 'recurrent_kernel', shape: [2, 8] }, { name: 'bias', shape: [8] }] },
  { name: 'inner/dense', className: 'Dense', expected: [{ name: 'kernel', shape: [2, 2] }] },
  { name: 'dense_a', className: 'Dense', expected: [{ name: 'kernel', shape: [3, 2] }] },
];

test('bind: nested models are walked through their layer-N children, layers matched by metadata name', () => {
  const g = nestedGraph();
  const out = savedModelWeightSource('dir', g.layers, g.arrays, g.nodes, g.objects).bind(requests, SPEC);
  assert.equal(out.get('lstm').map((a) => a[0]), [0, 1, 2]);
  assert.equal(out.get('dense_a').map((a) => a[0]), [3]);
  assert.equal(out.get('inner/dense').map((a) => a[0]), [4]);
});

test('bind: the config\'s layer order does not matter (names decide), a missing layer object and a shape mismatch are refused', () => {
  const g = nestedGraph();
  const swapped = { savedLayers: [SPEC.savedLayers[2], SPEC.savedLayers[1], SPEC.savedLayers[0]] };
  const out = savedModelWeightSource('dir', g.layers, g.arrays, g.nodes, g.objects).bind(requests, swapped);
  assert.equal(out.get('lstm').map((a) => a[0]), [0, 1, 2]);

  const renamed = { savedLayers: [SPEC.savedLayers[0], SPEC.savedLayers[1], { ...SPEC.savedLayers[2], name: 'lstm_9' }] };
  assert.throws(() => savedModelWeightSource('dir', g.layers, g.arrays, g.nodes, g.objects).bind(requests, renamed), (e) => e instanceof InvalidKerasConfigurationError && /no Keras layer object/.test(e.message) && /lstm/.test(e.message));

  const wrong = [{ ...requests[0], expected: [{ name: 'kernel', shape: [3, 8] }, ...requests[0].expected.slice(1)] }];
  assert.throws(() => savedModelWeightSource('dir', g.layers, g.arrays, g.nodes, g.objects).bind(wrong, SPEC), (e) => e instanceof InvalidKerasConfigurationError && /shape \[2,8\], expected \[3,8\]/.test(e.message));
});

test('bind: a layer whose variables could not be found is refused when (and only when) it is asked for', () => {
  const g = nestedGraph();
  g.layers.set(4, { variables: [], problem: 'the checkpoint holds no value for variable 0 of layer "dense_a"' });
  const source = savedModelWeightSource('dir', g.layers, g.arrays, g.nodes, g.objects);
  assert.ok(source.bind([requests[0]], SPEC).get('lstm'));
  assert.throws(() => source.bind(requests, SPEC), (e) => e instanceof ModelFileError && /no value for variable 0/.test(e.message));
});

test('bind: without metadata names, layer-N children are taken by position', () => {
  const g = nestedGraph();
  const out = savedModelWeightSource('dir', g.layers, g.arrays, g.nodes, []).bind(requests, SPEC);
  assert.equal(out.get('lstm').map((a) => a[0]), [0, 1, 2]);
  assert.equal(out.get('inner/dense').map((a) => a[0]), [4]);
});

test.run();
