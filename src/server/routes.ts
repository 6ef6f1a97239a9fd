/**
 * The Open Inference Protocol's REST endpoints (plus /metrics) on a fastify instance.
 * @packageDocumentation
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ModelInfo } from './worker-messages.js';
import { decodeInferRequest, encodeInferResponse, type InferRequest, type TensorSpec } from './infer-request.js';
import { ProtocolError, badRequest } from './protocol-error.js';
import type { Batcher, WorkResult } from './batcher.js';
import type { SequenceStore } from './sequence-store.js';
import type { ServerMetrics } from './metrics.js';

/** A served model as the routes see it. */
export interface ServedModel {
  info: ModelInfo;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

/** What the routes need from the server. */
export interface RouteContext {
  serverName: string;
  version: string;
  models: () => Map<string, ServedModel> | null;
  ready: () => boolean;
  batcher: Batcher;
  sequences: SequenceStore;
  metrics: ServerMetrics;
  requestTimeoutMs: number;
}

/** Server metadata `extensions`: binary tensors, and sequences with integer or string ids. */
export const EXTENSIONS = ['binary_tensor_data', 'sequence', 'sequence(string_id)'];

/** Keras shapes (null = any size) as protocol shapes (-1). */
export function protocolShape(shape: (number | null)[]): number[] {
  return shape.map((d) => (d === null ? -1 : d));
}

/** Output names must be unique in a response; a layer giving several outputs gets ":i" suffixes. */
export function uniqueNames(list: { name: string }[]): string[] {
  const count = new Map<string, number>();
  for (const t of list) count.set(t.name, (count.get(t.name) ?? 0) + 1);
  const seen = new Map<string, number>();
  return list.map((t) => {
    if (count.get(t.name) === 1) return t.name;
    const i = seen.get(t.name) ?? 0;
    seen.set(t.name, i + 1);
    return `${t.name}:${i}`;
  });
}

function lookup(ctx: RouteContext, name: string, version?: string): ServedModel {
  const models = ctx.models();
  if (!models) throw new ProtocolError(503, 'the server is still loading its models');
  const m = models.get(name);
  if (!m) throw new ProtocolError(404, `unknown model "${name}" (served: ${[...models.keys()].join(', ')})`);
  if (version !== undefined && version !== '1') throw new ProtocolError(404, `model "${name}" has no version "${version}" (its only version is "1")`);
  return m;
}

function sendError(reply: FastifyReply, e: unknown): FastifyReply {
  if (e instanceof ProtocolError) return reply.code(e.status).send({ error: e.message });
  return reply.code(500).send({ error: `internal error: ${e instanceof Error ? e.message : String(e)}` });
}

async function infer(ctx: RouteContext, model: ServedModel, req: InferRequest, arrived: number): Promise<WorkResult> {
  const base = { model: model.info.name, arrived, deadline: arrived + ctx.requestTimeoutMs };
  if (!req.sequence) return ctx.batcher.submit({ ...base, kind: 'predict', inputs: req.inputs });
  if (model.info.streamError) throw badRequest(`model "${model.info.name}" cannot run sequences: ${model.info.streamError}`);
  const x = req.inputs[0];
  if (x.shape[0] !== 1) throw badRequest(`a sequence request carries one sequence: the batch dimension must be 1, got shape ${JSON.stringify(x.shape)}`);
  return ctx.sequences.run(model.info.name, req.sequence, (rowState) => ctx.batcher.submit({ ...base, kind: 'stream', inputs: req.inputs, rowState }));
}

/** Registers every endpoint. */
export function registerRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get('/v2', async () => ({ name: ctx.serverName, version: ctx.version, extensions: EXTENSIONS }));
  app.get('/v2/health/live', async (_req, reply) => reply.code(200).send({ live: true }));
  app.get('/v2/health/ready', async (_req, reply) => {
    const ready = ctx.ready();
    return reply.code(ready ? 200 : 503).send({ ready });
  });

  const metadata = async (request: FastifyRequest<{ Params: { name: string; version?: string } }>, reply: FastifyReply) => {
    try {
      const m = lookup(ctx, request.params.name, request.params.version);
      return reply.send({
        name: m.info.name,
        versions: ['1'],
        platform: 'kerasrnn',
        inputs: m.inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape })),
        outputs: m.outputs.map((t) => ({ name: t.name, datatype: 'FP32', shape: t.shape })),
        parameters: { sequences: m.info.streamError === null, ...(m.info.streamError ? { sequences_unsupported_because: m.info.streamError } : {}) },
      });
    } catch (e) {
      return sendError(reply, e);
    }
  };
  app.get('/v2/models/:name', metadata);
  app.get('/v2/models/:name/versions/:version', metadata);

  const modelReady = async (request: FastifyRequest<{ Params: { name: string; version?: string } }>, reply: FastifyReply) => {
    try {
      lookup(ctx, request.params.name, request.params.version);
      const ready = ctx.ready();
      return reply.code(ready ? 200 : 503).send({ name: request.params.name, ready });
    } catch (e) {
      return sendError(reply, e);
    }
  };
  app.get('/v2/models/:name/ready', modelReady);
  app.get('/v2/models/:name/versions/:version/ready', modelReady);

  const inferRoute = async (request: FastifyRequest<{ Params: { name: string; version?: string } }>, reply: FastifyReply) => {
    const arrived = performance.now();
    const name = request.params.name;
    let counted: string | null = null;
    try {
      const model = lookup(ctx, name, request.params.version);
      counted = model.info.name;
      ctx.metrics.requests.inc({ model: counted });
      const body = request.body instanceof Uint8Array ? request.body : new Uint8Array(0);
      const header = request.headers['inference-header-content-length'];
      const req = decodeInferRequest(body, Array.isArray(header) ? header[0] : header, model.inputs, model.outputs);
      const result = await infer(ctx, model, req, arrived);
      const names = model.outputs.map((o) => o.name);
      const outputs = req.outputs.map((o) => {
        const t = result.outputs[names.indexOf(o.name)];
        return { name: o.name, shape: t.shape, data: t.data, binary: o.binary };
      });
      const seqParams = req.sequence ? { sequence_id: req.sequence.id, ...(req.sequence.start ? { sequence_start: true } : {}), ...(req.sequence.end ? { sequence_end: true } : {}) } : undefined;
      const encoded = encodeInferResponse(model.info.name, req.id, outputs, seqParams);
      ctx.metrics.latency.observe({ model: counted }, (performance.now() - arrived) / 1000);
      if (encoded.headerLength !== undefined) {
        reply.header('Inference-Header-Content-Length', String(encoded.headerLength)).type('application/octet-stream');
      } else {
        reply.type('application/json');
      }
      return reply.send(encoded.body);
    } catch (e) {
      const status = e instanceof ProtocolError ? e.status : 500;
      if (counted) ctx.metrics.failures.inc({ model: counted, status: String(status) });
      return sendError(reply, e);
    }
  };
  app.post('/v2/models/:name/infer', inferRoute);
  app.post('/v2/models/:name/versions/:version/infer', inferRoute);

  app.get('/metrics', async (_req, reply) => {
    ctx.metrics.queued.set(ctx.batcher.queued);
    const live = ctx.sequences.liveCounts();
    for (const model of ctx.models()?.keys() ?? []) ctx.metrics.liveSequences.set({ model }, live.get(model) ?? 0);
    return reply.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
  });
}
