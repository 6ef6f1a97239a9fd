/** Messages between the server thread and its model worker threads (structured-clone safe). */

/** A model the workers load: its served name and the path given to `loadModel`. */
export interface ModelEntry {
  name: string;
  path: string;
}

/** What a worker learned about a model from loading it. */
export interface ModelInfo {
  name: string;
  fileName: string;
  /** `dtype: 'string'` for an input that takes texts (served as BYTES). */
  inputs: { name: string; shape: (number | null)[]; dtype?: 'string' }[];
  outputs: { name: string; shape: (number | null)[] }[];
  /** Null when the model can run sequences (streams), else why not. */
  streamError: string | null;
}

/** One call a worker runs: a predict over stacked rows, or a stream step over sequences' rows. */
export interface Job {
  id: number;
  model: string;
  kind: 'predict' | 'stream';
  inputs: { data: Float32Array | string[]; shape: number[] }[];
  /** Stream jobs: each row's carry-over (null = a fresh sequence). */
  rowStates?: (Float32Array | null)[];
}

/** A failure carried as data: the library's typed error class name and its message. */
export interface JobError {
  name: string;
  message: string;
}

export type ToWorker = { type: 'init'; models: ModelEntry[]; maxBatchSteps?: number; /** loadModel's sequenceThreads (1 with several workers). */ sequenceThreads?: number } | { type: 'run'; job: Job };

export type FromWorker =
  | { type: 'ready'; models: ModelInfo[] }
  | { type: 'fatal'; error: JobError }
  | { type: 'done'; id: number; outputs: { data: Float32Array; shape: number[] }[]; rowStates?: Float32Array[] }
  | { type: 'failed'; id: number; error: JobError };
