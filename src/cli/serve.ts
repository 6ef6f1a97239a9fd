/**
 * `kerasrnn serve`: starts the inference server and stops it cleanly on SIGTERM / SIGINT (stop
 * accepting, finish what is in flight, exit).
 */
import { resolveModels } from '../server/model-repository.js';
import { startServer, type ServeOptions } from '../server/server.js';
import { CliError } from './errors.js';

/** Options of the `serve` command as commander parses them. */
export interface ServeCommandOptions {
  host: string;
  port: number;
  name?: string[];
  workers: number;
  maxBatchSize: number;
  batchDelayMs: number;
  maxSequences: number;
  sequenceIdleMs: number;
  maxBodyBytes: number;
  requestTimeoutMs: number;
}

/** Runs the server until a signal stops it; `err` gets the status lines. */
export async function serve(paths: string[], opts: ServeCommandOptions, version: string, err: (s: string) => void): Promise<void> {
  let models;
  try {
    models = resolveModels(paths, opts.name ?? []);
  } catch (e) {
    throw new CliError((e as Error).message, 'give model files (.h5, .keras, ...), model folders, or folders holding them');
  }
  const options: ServeOptions = {
    models,
    host: opts.host,
    port: opts.port,
    workers: opts.workers,
    maxBatchSize: opts.maxBatchSize,
    batchDelayMs: opts.batchDelayMs,
    maxSequences: opts.maxSequences,
    sequenceIdleMs: opts.sequenceIdleMs,
    maxBodyBytes: opts.maxBodyBytes,
    requestTimeoutMs: opts.requestTimeoutMs,
    version,
  };
  const server = await startServer(options);
  err(`kerasrnn serve: ${models.map((m) => m.name).join(', ')} on ${server.url} (${opts.workers} worker${opts.workers > 1 ? 's' : ''}, batches up to ${opts.maxBatchSize} rows)\n`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      err(`kerasrnn serve: ${signal}, finishing accepted requests\n`);
      server.close().then(resolve, resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  err('kerasrnn serve: stopped\n');
}
