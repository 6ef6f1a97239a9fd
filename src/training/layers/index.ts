import type { GraphLayer } from '../../graph/build-graph.js';
import type { KerasGeneration } from '../../keras/generation.js';
import { planActivation } from './activation.js';
import { planDense } from './dense.js';
import { planActivityRegularization, planAlphaDropout, planDropout, planGaussianDropout, planGaussianNoise, planSpatialDropout1d } from './dropout.js';
import { planLstm } from './lstm.js';
import { planCudnn } from './cudnn.js';
import { planRecurrent } from './recurrent.js';
import { planEmbedding } from './embedding.js';
import { planMasking } from './masking.js';
import { planBidirectional } from './bidirectional.js';
import { planTimeDistributed } from './time-distributed.js';
import { planConv1d, planDepthwiseConv1d } from './conv1d.js';
import { planPooling } from './pooling.js';
import { planBatchNormalization, planLayerNormalization } from './normalization.js';
import { planMerge } from './merge.js';
import { planDot } from './dot.js';
import { planAttention } from './attention.js';
import { planMultiHeadAttention } from './multi-head-attention.js';
import { planFlatten, planShapeOp } from './shape-ops.js';
import { planPermute } from './permute.js';
import { planPrelu } from './prelu.js';
import { planActivationLayer } from './activation-layers.js';
import { refuse, type LayerPlanner, type PlannedLayer } from './layer-module.js';

/** The layer kinds training supports, by Keras class name; every other class is refused by name. */
const PLANNERS: Record<string, LayerPlanner> = {
  LSTM: planLstm,
  GRU: planRecurrent,
  CuDNNLSTM: planCudnn,
  CuDNNGRU: planCudnn,
  SimpleRNN: planRecurrent,
  Bidirectional: planBidirectional,
  Embedding: planEmbedding,
  Masking: planMasking,
  TimeDistributed: (layer, generation) => planTimeDistributed(layer, generation, planLayer),
  Conv1D: planConv1d,
  Convolution1D: planConv1d,
  AtrousConvolution1D: planConv1d,
  SeparableConv1D: planDepthwiseConv1d,
  SeparableConvolution1D: planDepthwiseConv1d,
  DepthwiseConv1D: planDepthwiseConv1d,
  MaxPooling1D: planPooling,
  AveragePooling1D: planPooling,
  GlobalMaxPooling1D: planPooling,
  GlobalAveragePooling1D: planPooling,
  Flatten: planFlatten,
  LayerNormalization: planLayerNormalization,
  BatchNormalization: planBatchNormalization,
  Add: planMerge,
  Subtract: planMerge,
  Multiply: planMerge,
  Average: planMerge,
  Maximum: planMerge,
  Minimum: planMerge,
  Concatenate: planMerge,
  Dot: planDot,
  Attention: planAttention,
  AdditiveAttention: planAttention,
  MultiHeadAttention: planMultiHeadAttention,
  Reshape: planShapeOp,
  RepeatVector: planShapeOp,
  UpSampling1D: planShapeOp,
  ZeroPadding1D: planShapeOp,
  Cropping1D: planShapeOp,
  Permute: planPermute,
  ReLU: planActivationLayer,
  LeakyReLU: planActivationLayer,
  ELU: planActivationLayer,
  ThresholdedReLU: planActivationLayer,
  Softmax: planActivationLayer,
  PReLU: planPrelu,
  Dense: planDense,
  Dropout: planDropout,
  SpatialDropout1D: planSpatialDropout1d,
  GaussianNoise: planGaussianNoise,
  GaussianDropout: planGaussianDropout,
  AlphaDropout: planAlphaDropout,
  ActivityRegularization: planActivityRegularization,
  Activation: planActivation,
};

/** The training plan of one imported layer, or a typed refusal naming it (and the option at fault). */
export function planLayer(layer: GraphLayer, generation: KerasGeneration): PlannedLayer {
  const planner = Object.hasOwn(PLANNERS, layer.imported.className) ? PLANNERS[layer.imported.className] : undefined;
  if (!planner) refuse(layer, `${layer.imported.className} layers`);
  return planner(layer, generation);
}

