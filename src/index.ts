/**
 * kerasrnn: run Keras recurrent models (LSTM, GRU, SimpleRNN and the layers around them) from the
 * files Keras writes, in Node.js and browsers, on WebAssembly SIMD kernels.
 */
export { loadModel, type ModelSource, type LoadOptions } from './api/load-model.js';
export { earlyStopping, type EarlyStoppingOptions, type EarlyStoppingTarget } from './api/early-stopping.js';
export type { TfjsSource } from './api/load-tfjs.js';
export type { KernelBuild, KernelChoice } from './wasm/wasm-module.js';
export type { WeightPrecision } from './wasm/memory.js';
export { DEFAULT_LIMITS, type Limits } from './api/limits.js';
export type { CustomLayer } from './layers/custom-layer.js';
export { Model, type LayerInfo, type OutputInfo, type ModelInput, type StringInput, type PredictOptions, type SaveOptions, type LayerWeights, type NamedWeight, type WeightValue, type RuntimeInfo } from './api/model.js';
export type { SaveFormat } from './api/save-model.js';
export type { CompileOptions, FitOptions, Callback, Logs, History, EvaluateOptions, TrainOnBatchOptions, KerasEntry, TrainingInput, SampleWeights } from './api/model-training.js';
export type { FileTrainingConfig } from './training/training-config.js';
export type { TensorData, TensorInput } from './types/tensor.js';
export { Stream, type StreamState, type StreamRowState } from './api/stream.js';
export { WorkerModel, WorkerStream, type AsyncPredictOptions, type WorkerModelInfo } from './api/worker-model.js';
export type { KerasGeneration } from './keras/generation.js';
export type { Shape } from './layers/types.js';
export {
  KerasRnnError,
  InvalidKerasConfigurationError,
  UnsupportedKerasConfigurationError,
  ModelFileError,
  InputError,
  ResourceLimitError,
  InternalError,
  type ErrorContext,
} from './errors.js';
export { parseNpy, encodeNpy, parseNpyHeader, npyHeaderLength, decodeNpyValues, encodeNpyHeader, type NpyArray, type NpyHeader } from './formats/npy.js';
export { loadTokenizer, KerasTokenizer, textToWordSequence, KERAS_TOKENIZER_FILTERS, type TokenizerOptions } from './text/keras-tokenizer.js';
export { padSequences, type PadSequencesOptions } from './text/pad-sequences.js';
export { tokenEncoding, encodeTokens, type TokenEncoding } from './text/token-input.js';
export { generate, type GenerateOptions, type GenerateResult } from './text/generate.js';
export { decodeSequence, type DecodeSequenceOptions, type DecodeSequenceResult } from './text/seq2seq.js';
export { pickToken, argmax, type SamplingOptions } from './text/sampling.js';
export { Xoshiro128 } from './text/prng.js';
export { tokenCodec, type TokenCodec, type Vocabulary, type TextSource } from './text/vocabulary.js';
