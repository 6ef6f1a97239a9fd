import { ActivationImporter } from './activation.js';
import { BidirectionalImporter } from './bidirectional.js';
import { CudnnGruImporter, CudnnLstmImporter } from './cudnn.js';
import {
  AddImporter,
  AverageImporter,
  ConcatenateImporter,
  MaximumImporter,
  MinimumImporter,
  MultiplyImporter,
  SubtractImporter,
} from './merge.js';
import { DenseImporter } from './dense.js';
import { DropoutImporter } from './dropout.js';
import { EmbeddingImporter } from './embedding.js';
import { FlattenImporter } from './flatten.js';
import { GruImporter } from './gru.js';
import { InputLayerImporter } from './input-layer.js';
import { LstmImporter } from './lstm.js';
import { MaskingImporter } from './masking.js';
import { RepeatVectorImporter } from './repeat-vector.js';
import { ReshapeImporter } from './reshape.js';
import { SimpleRnnImporter } from './simple-rnn.js';
import { TimeDistributedImporter } from './time-distributed.js';
import { KERAS3_OP_IMPORTERS } from './keras3-ops.js';
import { Conv1DImporter } from './conv1d.js';
import { DepthwiseConv1DImporter, SeparableConv1DImporter } from './separable-conv1d.js';
import { AveragePooling1DImporter, MaxPooling1DImporter } from './pooling1d.js';
import { GlobalAveragePooling1DImporter, GlobalMaxPooling1DImporter } from './global-pooling1d.js';
import { ZeroPadding1DImporter } from './zero-padding1d.js';
import { Cropping1DImporter } from './cropping1d.js';
import { UpSampling1DImporter } from './upsampling1d.js';
import { BatchNormalizationImporter } from './batch-normalization.js';
import { LayerNormalizationImporter } from './layer-normalization.js';
import {
  ELUImporter,
  LeakyReLUImporter,
  PReLUImporter,
  ReLUImporter,
  SoftmaxImporter,
  ThresholdedReLUImporter,
} from './advanced-activations.js';
import { PermuteImporter } from './permute.js';
import { DotImporter } from './dot.js';
import { MergeImporter } from './merge-keras1.js';
import { AdditiveAttentionImporter, AttentionImporter } from './attention.js';
import { MultiHeadAttentionImporter } from './multi-head-attention.js';
import { RnnImporter } from './rnn.js';
import { TfOpLambdaImporter } from './tf-op-lambda.js';
import { TextVectorizationImporter } from './text-vectorization.js';
import { StringLookupImporter } from './string-lookup.js';
import { IntegerLookupImporter } from './integer-lookup.js';
import { CategoryEncodingImporter } from './category-encoding.js';
import { HashingImporter } from './hashing.js';
import { DiscretizationImporter } from './discretization.js';
import { NormalizationImporter } from './normalization.js';
import { RescalingImporter } from './rescaling.js';
import type { LayerImporter } from './types.js';

/** Every importer kerasrnn ships, one per Keras layer class. */
export const BUILTIN_IMPORTERS: readonly LayerImporter[] = [
  InputLayerImporter,
  TextVectorizationImporter,
  StringLookupImporter,
  IntegerLookupImporter,
  CategoryEncodingImporter,
  HashingImporter,
  DiscretizationImporter,
  NormalizationImporter,
  RescalingImporter,
  LstmImporter,
  GruImporter,
  SimpleRnnImporter,
  DenseImporter,
  TimeDistributedImporter,
  BidirectionalImporter,
  CudnnLstmImporter,
  CudnnGruImporter,
  ActivationImporter,
  DropoutImporter,
  FlattenImporter,
  ReshapeImporter,
  RepeatVectorImporter,
  EmbeddingImporter,
  MaskingImporter,
  ...KERAS3_OP_IMPORTERS,
  ConcatenateImporter,
  AddImporter,
  SubtractImporter,
  MultiplyImporter,
  AverageImporter,
  MaximumImporter,
  MinimumImporter,
  DotImporter,
  MergeImporter,
  AttentionImporter,
  AdditiveAttentionImporter,
  MultiHeadAttentionImporter,
  RnnImporter,
  TfOpLambdaImporter,
  Conv1DImporter,
  SeparableConv1DImporter,
  DepthwiseConv1DImporter,
  MaxPooling1DImporter,
  AveragePooling1DImporter,
  GlobalMaxPooling1DImporter,
  GlobalAveragePooling1DImporter,
  ZeroPadding1DImporter,
  Cropping1DImporter,
  UpSampling1DImporter,
  BatchNormalizationImporter,
  LayerNormalizationImporter,
  ReLUImporter,
  LeakyReLUImporter,
  PReLUImporter,
  ELUImporter,
  ThresholdedReLUImporter,
  SoftmaxImporter,
  PermuteImporter,
];

/** Class name → importer. */
export function importerTable(importers: readonly LayerImporter[] = BUILTIN_IMPORTERS): Map<string, LayerImporter> {
  const table = new Map<string, LayerImporter>();
  for (const imp of importers) for (const name of imp.classNames) table.set(name, imp);
  return table;
}
