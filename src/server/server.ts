/**
 * `kerasrnn serve`: an Open Inference Protocol (KServe v2) REST server over kerasrnn models, with
 * dynamic batching, Triton-style sequences, model worker threads and Prometheus metrics.
 * @packageDocumentation
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { Batcher } from './batcher.js';
import { ServerMetrics } from './metrics.js';
import { ProtocolError } from './protocol-error.js';
import { protocolShape, registerRoutes, uniqueNames, type ServedModel } from './routes.js';
import { SequenceStore } from './sequence-store.js';
import { WorkerPool } from './worker-pool.js';
import type { ModelEntry } from './worker-messages.js';

/** Options of {@link startServer}; every one has the default `kerasrnn serve` uses. */
export interface ServeOptions {
  models: ModelEntry[];
  /** Default 127.0.0.1: serving beyond this machine is a deliberate choice. */
  host?: string;
  /** Default 8000; 0 picks a free port. */
  port?: number;
  /** Model worker threads, each with its own instance of every model (default 1). */
  workers?: number;
  /** Most rows merged into one call (default 32; 1 turns dynamic batching off). */
  maxBatchSize?: number;
  /** Longest a request waits for others to join its batch when a worker is free, ms (default 0: requests that queued while the workers were busy are merged, none is held back). */
  batchDelayMs?: number;
  /** Most live sequences (default 1024). */
  maxSequences?: number;
  /** A sequence idle this long is dropped, ms (default 60000). */
  sequenceIdleMs?: number;
  /** Largest request body in bytes (default 64 MiB). */
  maxBodyBytes?: number;
  /** Longest a request may wait for a worker, and to be received, ms (default 30000). */
  requestTimeoutMs?: number;
  /** loadModel's limits.maxBatchSteps for each call (default: the library's). */
  maxBatchSteps?: number;
  /** Server name in GET /v2 (default "kerasrnn"). */
  serverName?: string;
  version?: string;
}

/** A running server. */
export interface RunningServer {
  /** e.g. http://127.0.0.1:8000 */
  url: string;
  port: number;
  /** Stops accepting connections, finishes every accepted request, then stops the workers. */
  close(): Promise<void>;
  /** @internal for tests that kill a worker */
  pool: WorkerPool;
  app: FastifyInstance;
}

/**
 * Starts the server; resolves once it listens and every worker loaded every model.
 * @throws Error when a model cannot be loaded (the message names the file and why).
 */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const metrics = new ServerMetrics();
  let served: Map<string, ServedModel> | null = null;
  let batcher: Batcher | null = null;
  const pool = new WorkerPool({
    workers: options.workers ?? 1,
    models: options.models,
    maxBatchSteps: options.maxBatchSteps,
    onIdle: () => batcher?.pump(),
    onRestart: () => metrics.workerRestarts.inc(),
  });
  batcher = new Batcher(pool, { maxBatchSize: options.maxBatchSize ?? 32, delayMs: options.batchDelayMs ?? 0 }, {
    onBatch: (model, kind, rows) => metrics.batchRows.observe({ model, kind }, rows),
    onQueueTime: (model, s) => metrics.queueTime.observe({ model }, s),
  });
  try {
    await pool.ready();
  } catch (e) {
    await pool.close();
    throw e;
  }
  served = new Map(
    (pool.models ?? []).map((info) => {
      const outNames = uniqueNames(info.outputs);
      return [
        info.name,
        {
          info,
          inputs: info.inputs.map((t) => ({ name: t.name, datatype: t.dtype === 'string' ? ('BYTES' as const) : ('FP32' as const), shape: protocolShape(t.shape) })),
          outputs: info.outputs.map((t, i) => ({ name: outNames[i], datatype: 'FP32' as const, shape: protocolShape(t.shape) })),
        },
      ];
    }),
  );
  const sequences = new SequenceStore({ maxLive: options.maxSequences ?? 1024, idleMs: options.sequenceIdleMs ?? 60000 });
  const requestTimeoutMs = options.requestTimeoutMs ?? 30000;
  const app = Fastify({
    bodyLimit: options.maxBodyBytes ?? 64 * 1024 * 1024,
    requestTimeout: requestTimeoutMs,
    // Idle keep-alive connections close at shutdown; busy ones finish their request first.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  });
  // Bodies arrive as bytes whatever their content type: a binary-extension body is a JSON header
  // followed by raw tensors, and malformed JSON must become a protocol error, not fastify's.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => {
    const status = err.statusCode ?? 500;
    const message = status === 413 ? `the request body is larger than the server's limit of ${options.maxBodyBytes ?? 64 * 1024 * 1024} bytes (--max-body-bytes)` : err.message;
    void reply.code(status).send({ error: message });
  });
  let closing: Promise<void> | null = null;
  // A keep-alive connection busy when shutdown starts would otherwise stay open until its idle
  // timeout after its last answer, holding the shutdown back.
  app.addHook('onSend', async (_req, reply) => {
    if (closing) reply.header('connection', 'close');
  });
  app.setNotFoundHandler((req, reply) => void reply.code(404).send({ error: `no such endpoint: ${req.method} ${req.url}` }));
  registerRoutes(app, {
    serverName: options.serverName ?? 'kerasrnn',
    version: options.version ?? 'unknown',
    models: () => served,
    ready: () => pool.anyReady,
    batcher,
    sequences,
    metrics,
    requestTimeoutMs,
  });
  const address = await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 8000 });
  const port = (app.server.address() as { port: number }).port;
  return {
    url: address,
    port,
    pool,
    app,
    close() {
      closing ??= (async () => {
        (batcher as Batcher).drain();
        await app.close();
        sequences.close();
        await pool.close();
      })();
      return closing;
    },
  };
}

export { ProtocolError };
