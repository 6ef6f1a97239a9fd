// Entry point of the kernel module: re-exports every kernel the engine calls. All kernels take
// raw byte pointers into linear memory (allocated by the JS side from heapBase() upward) and
// sizes; none allocates.
export function heapBase(): usize {
  return __heap_base;
}

export * from './activation-ids';
export { activate, softmaxRows, logSoftmaxRows, softmaxStrided } from './activations';
export { gemm } from './gemm-f32-2x16';
export { packGateColumns, transposeF32 } from './pack-gates';
export {
  maskAnd, scaleF32, fillF32, copyF32, repeatRows, reverseSequence, concatRows,
} from './elementwise';
export { gatherRows, maskNotEqualZero } from './embedding';
export { maskingLayer } from './masking';
export { simdPeak, simdPeakMadd } from './simd-peak';
export { lstmSequence, LSTM_UNIT_GROUP } from './lstm-sequence';
export { packGateColumnsBf16 } from './bf16';
export { packGateColumnsInt8 } from './int8';
export { lstmSequenceLowPrecision, gruSequenceLowPrecision, simpleRnnSequenceLowPrecision } from './low-precision-sequence';
export { gruSequence, GRU_UNIT_GROUP } from './gru-sequence';
export { simpleRnnSequence, SIMPLE_RNN_UNIT_GROUP } from './simple-rnn-sequence';
export {
  LSTM_SEQUENCE_PARAMS_BYTES, GRU_SEQUENCE_PARAMS_BYTES, SIMPLE_RNN_SEQUENCE_PARAMS_BYTES,
  CONV1D_PARAMS_BYTES, DEPTHWISE_CONV1D_PARAMS_BYTES, BATCH_MAT_MUL_PARAMS_BYTES, LOOKUP_SORTED_PARAMS_BYTES,
  ADDITIVE_SCORES_PARAMS_BYTES, ADDITIVE_SCORES_BACKWARD_PARAMS_BYTES, MASKED_SOFTMAX_PARAMS_BYTES, POOL1D_PARAMS_BYTES, RECURRENT_TRAIN_PARAMS_BYTES,
} from './param-blocks';
export * from './tensor-op-codes';
export { binaryF32, broadcastBinaryF32, broadcastSelectF32 } from './broadcast-binary-f32';
export { unaryMathF32, maskFromValuesF32 } from './unary-math-f32';
export { reduceAxisF32 } from './reduce-axis-f32';
export { stridedCopy4 } from './strided-copy-4d';
export { setMaskHistory, markKeptRows } from './rnn-common';
export { maskOr, selectRows, mulRowsByMask, reverseMaskRows, l2NormalizeRows } from './masked-rows';
export { batchMatMul, additiveScores, maskedSoftmax } from './attention';
export { additiveScoresBackward, l2NormalizeRowsBackward } from './attention-backward';
export { conv1d, conv1dScratchFloats, depthwiseConv1d } from './conv1d';
export { pool1d, globalPool1d, globalPoolRows, POOL_MAX, POOL_AVG } from './pooling';
export { batchNormInference, layerNorm } from './normalization';
export { reluLayer, eluLayer, thresholdedRelu, prelu, addWhereMasked, zeroWhereMasked } from './activation-layers';
export { preluBackward } from './prelu-backward';
export { gaussianNoise } from './gaussian-noise';
export { copySteps, permuteCopy } from './time-shape';
export { categoryCounts, oneHotRows, bucketize, lookupSorted } from './categorical';
export { lossMse, lossMae, lossHuber, lossBinaryCrossentropy, lossCategoricalCrossentropy, lossRowWeights, CCE_FROM_LOGITS, CCE_SPARSE } from './losses';
export { sgdUpdate, rmspropUpdate, adamUpdate, adagradUpdate } from './optimizers';
export { sumSquaresF32, clipValueF32, decayWeightsF32 } from './optimizers';
export * from './metrics';
export { lstmForwardTrainSimd, lstmBackwardSimd, lstmTrainWorkFloats } from './lstm-train';
export { activationBackward, dropoutMask } from './backward';
export { denseBackward, denseForwardTrain, denseTrainWorkFloats } from './dense-train';
export { activationBackwardFromInput, logSoftmaxBackward } from './activation-backward';
export {
  gruForwardTrain, gruBackward, simpleRnnForwardTrain, simpleRnnBackward, lstmForwardTrainMasked, lstmBackwardMasked, lstmForwardTrain, lstmBackward,
} from './backward-rnn';
export {
  embeddingBackward, conv1dForwardTrain, conv1dBackward, pool1dBackward, layerNormForwardTrain, layerNormBackward, batchNormForwardTrain, batchNormBackward,
  sumRepeats, activationLayerBackward,
} from './backward-layers';
export { regularizerPenalty } from './regularizers';
export { alphaDropoutApply } from './alpha-dropout';
export { expandGroupedKernel, gatherGroupedKernel } from './grouped-kernel';
