/**
 * Prometheus metrics of the server (prom-client, on its own registry so that several servers in
 * one process do not mix): requests and failures per model, latency and queue time, rows per
 * call, live sequences, worker restarts, and prom-client's process metrics (memory, CPU, event
 * loop lag). The worker threads live in the same process, so process memory covers them too.
 * @packageDocumentation
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Every metric the server exports, on its own registry. */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({ name: 'kerasrnn_requests_total', help: 'Inference requests received, per model', labelNames: ['model'], registers: [this.registry] });
  readonly failures = new Counter({ name: 'kerasrnn_request_failures_total', help: 'Inference requests that failed, per model and HTTP status', labelNames: ['model', 'status'], registers: [this.registry] });
  readonly latency = new Histogram({ name: 'kerasrnn_request_duration_seconds', help: 'Time from request decoded to response ready', labelNames: ['model'], buckets: LATENCY_BUCKETS, registers: [this.registry] });
  readonly queueTime = new Histogram({ name: 'kerasrnn_queue_duration_seconds', help: 'Time a request waited before its call started', labelNames: ['model'], buckets: LATENCY_BUCKETS, registers: [this.registry] });
  readonly batchRows = new Histogram({ name: 'kerasrnn_batch_rows', help: 'Rows per model call (dynamic batching merges requests)', labelNames: ['model', 'kind'], buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256], registers: [this.registry] });
  readonly liveSequences = new Gauge({ name: 'kerasrnn_live_sequences', help: 'Sequences holding state', labelNames: ['model'], registers: [this.registry] });
  readonly workerRestarts = new Counter({ name: 'kerasrnn_worker_restarts_total', help: 'Model worker threads that died and were replaced', registers: [this.registry] });
  readonly queued = new Gauge({ name: 'kerasrnn_queued_requests', help: 'Requests waiting for a worker', registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
