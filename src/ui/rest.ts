/**
 * The REST API's JSON, with Spark's field names (`/api/v1/applications/<app>/streaming/...` in
 * Spark; `/api/v1/streaming/...` here): statistics, receivers, batches and their output
 * operations, plus Sluice's own `batches/<id>/inputs` and `graph`. Times are ISO 8601 strings
 * and durations milliseconds, as in Spark; a value Spark leaves out (`None`) is left out.
 */
import { describe } from '../errors.js';
import type { OutputOperationInfo, StreamInputInfo } from '../scheduler/listener.js';
import type { RuntimeStatus } from '../runtime-status.js';
import type { Duration, Time } from '../time.js';
import type { BatchStatus, BatchUiData, StreamUiData, StreamingStatusStore } from './status-store.js';

/** What the REST API reads: the status store and a few things only the context knows. */
export interface UiSource {
  readonly store: StreamingStatusStore;
  readonly appName: string;
  /** The context's clock. */
  now(): Time;
  /** When the context started, once it started. */
  startTime(): Time | undefined;
  runtimeStatus(): RuntimeStatus;
}

/** Spark's `StreamingStatistics`. */
export interface StreamingStatisticsJson {
  startTime?: string;
  batchDuration: number;
  numReceivers: number;
  numActiveReceivers: number;
  numInactiveReceivers: number;
  numTotalCompletedBatches: number;
  numRetainedCompletedBatches: number;
  numActiveBatches: number;
  numProcessedRecords: number;
  numReceivedRecords: number;
  avgInputRate?: number;
  avgSchedulingDelay?: number;
  avgProcessingTime?: number;
  avgTotalDelay?: number;
}

/** Spark's `ReceiverInfo`, for every input stream, plus Sluice's counters (after `eventRates`). */
export interface ReceiverInfoJson {
  streamId: number;
  streamName: string;
  isActive: boolean;
  executorId: string;
  lastErrorTime?: string;
  lastErrorMessage?: string;
  lastError?: string;
  avgEventRate?: number;
  /** `[batch time in ms, records per second]` for every retained batch, oldest first. */
  eventRates: [number, number][];
  /** Sluice: whether the stream is run by a receiver (otherwise it is active while the context runs). */
  hasReceiver: boolean;
  /** Sluice: totals since start. */
  numRecords: number;
  malformedRecords: number;
  deadLetteredRecords: number;
  droppedRecords: number;
  /** Sluice: the rate limit (records/s, backpressure estimate or configured maximum) of the latest batch that had one. */
  rateLimit?: number;
  /** Sluice: bytes received and not yet processed when the latest batch was cut. */
  bufferedBytes?: number;
  /** Sluice: `[batch time in ms, rate limit]` for the retained batches that had one. */
  rateLimits: [number, number][];
}

/** Spark's `BatchInfo` as the REST API gives it. */
export interface BatchInfoJson {
  batchId: number;
  batchTime: string;
  status: BatchStatus;
  batchDuration: number;
  inputSize: number;
  schedulingDelay?: number;
  processingTime?: number;
  totalDelay?: number;
  numActiveOutputOps: number;
  numCompletedOutputOps: number;
  numFailedOutputOps: number;
  numTotalOutputOps: number;
  firstFailureReason?: string;
}

/** Spark's `OutputOperationInfo` (without Spark job ids), plus Sluice's `attempts` and `status`. */
export interface OutputOperationInfoJson {
  outputOpId: number;
  name: string;
  description: string;
  startTime?: string;
  endTime?: string;
  duration?: number;
  failureReason?: string;
  attempts: number;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
}

/** Sluice: what one input stream contributed to a batch (`StreamInputInfo`). */
export interface StreamInputJson {
  streamId: number;
  streamName: string;
  numRecords: number;
  metadata: Record<string, unknown>;
  malformedRecords?: number;
  deadLetteredRecords?: number;
  droppedRecords?: number;
  rateLimit?: number;
  bufferedBytes?: number;
}

/** Sluice: the runtime status of `GET /api/v1/streaming/graph`. */
export interface GraphJson {
  time: string;
  operators: {
    id: number;
    name: string;
    kind: 'input' | 'transformation' | 'output';
    dependencies: number[];
    lastBatchTime?: string;
    lastBatchRecords?: number;
    stateSize?: number;
  }[];
  workers: { threads: number; utilization?: number };
  checkpoint: { enabled: boolean; directory?: string; lastCheckpointTime?: string; ageMs?: number };
}

export const iso = (ms: Time): string => new Date(ms).toISOString();

/** Records per second of `records` cut in one batch of `batchDuration` ms. */
export const recordsPerSecond = (records: number, batchDuration: Duration): number => (records * 1000) / batchDuration;

/** A batch's output operations, by id. */
function sortedOps(b: BatchUiData): OutputOperationInfo[] {
  return [...b.outputOps.values()].sort((x, y) => x.id - y.id);
}

/** The mean, or undefined for no values (Spark's `avgRate`). */
function mean(values: readonly number[]): number | undefined {
  return values.length === 0 ? undefined : values.reduce((a, b) => a + b, 0) / values.length;
}

/** The mean truncated to whole milliseconds, as Spark's `avgTime` (a Long division). */
function meanTime(values: readonly (number | undefined)[]): number | undefined {
  const defined = values.filter((v): v is number => v !== undefined);
  const m = mean(defined);
  return m === undefined ? undefined : Math.trunc(m);
}

/** `GET statistics`, computed over the retained batches as Spark does. */
export function streamingStatistics(src: UiSource): StreamingStatisticsJson {
  const { store } = src;
  const retained = store.retainedBatchList();
  const streams = store.streams();
  const active = streams.filter((s) => store.isActive(s)).length;
  const start = store.startTime ?? src.startTime();
  const json: StreamingStatisticsJson = {
    ...(start === undefined ? {} : { startTime: iso(start) }),
    batchDuration: store.batchDuration,
    numReceivers: streams.length,
    numActiveReceivers: active,
    numInactiveReceivers: streams.length - active,
    numTotalCompletedBatches: store.numTotalCompletedBatches,
    numRetainedCompletedBatches: store.numRetainedCompletedBatches,
    numActiveBatches: store.numActiveBatches,
    numProcessedRecords: store.numTotalProcessedRecords,
    numReceivedRecords: store.numTotalReceivedRecords,
  };
  const avgInputRate = mean(retained.map((b) => recordsPerSecond(b.info.numRecords, store.batchDuration)));
  const avgSchedulingDelay = meanTime(retained.map((b) => b.info.schedulingDelay));
  const avgProcessingTime = meanTime(retained.map((b) => b.info.processingDelay));
  const avgTotalDelay = meanTime(retained.map((b) => b.info.totalDelay));
  if (avgInputRate !== undefined) json.avgInputRate = avgInputRate;
  if (avgSchedulingDelay !== undefined) json.avgSchedulingDelay = avgSchedulingDelay;
  if (avgProcessingTime !== undefined) json.avgProcessingTime = avgProcessingTime;
  if (avgTotalDelay !== undefined) json.avgTotalDelay = avgTotalDelay;
  return json;
}

/** `GET receivers`: one row per input stream, by stream id. */
export function receivers(src: UiSource): ReceiverInfoJson[] {
  const { store } = src;
  const retained = store.retainedBatchList();
  return store.streams().map((s) => receiverJson(src, s, retained));
}

function receiverJson(src: UiSource, s: StreamUiData, retained: readonly BatchUiData[]): ReceiverInfoJson {
  const { store } = src;
  const eventRates: [number, number][] = [];
  const rateLimits: [number, number][] = [];
  for (const b of retained) {
    const input = b.info.streamIdToInputInfo.get(s.streamId);
    eventRates.push([b.batchTime, recordsPerSecond(input?.numRecords ?? 0, store.batchDuration)]);
    if (input?.rateLimit !== undefined) rateLimits.push([b.batchTime, input.rateLimit]);
  }
  const r = s.receiver;
  const avgEventRate = mean(eventRates.map(([, rate]) => rate));
  return {
    streamId: s.streamId,
    streamName: r?.name ?? s.name,
    isActive: store.isActive(s),
    executorId: 'driver', // one process: everything runs where Spark's driver would
    ...(r?.lastErrorTime === undefined ? {} : { lastErrorTime: iso(r.lastErrorTime) }),
    ...(r?.lastErrorMessage ? { lastErrorMessage: r.lastErrorMessage } : {}),
    ...(r?.lastError ? { lastError: r.lastError } : {}),
    ...(avgEventRate === undefined ? {} : { avgEventRate }),
    eventRates,
    hasReceiver: r !== undefined,
    numRecords: s.numRecords,
    malformedRecords: s.malformedRecords,
    deadLetteredRecords: s.deadLetteredRecords,
    droppedRecords: s.droppedRecords,
    ...(s.rateLimit === undefined ? {} : { rateLimit: s.rateLimit }),
    ...(s.bufferedBytes === undefined ? {} : { bufferedBytes: s.bufferedBytes }),
    rateLimits,
  };
}

/** One batch as `GET batches` lists it. */
export function batchJson(store: StreamingStatusStore, b: BatchUiData): BatchInfoJson {
  const ops = sortedOps(b);
  const failed = ops.filter((op) => op.failureReason !== undefined);
  const completed = ops.filter((op) => op.failureReason === undefined && op.endTime !== undefined);
  // Spark lists every output operation from submission on; here those not started yet are
  // known only by number (from the graph), and count as active as in Spark.
  const total = b.status === 'COMPLETED' ? ops.length : Math.max(ops.length, b.expectedOutputOps);
  const info = b.info;
  return {
    batchId: b.batchTime,
    batchTime: iso(b.batchTime),
    status: b.status,
    batchDuration: store.batchDuration,
    inputSize: info.numRecords,
    ...(info.schedulingDelay === undefined ? {} : { schedulingDelay: info.schedulingDelay }),
    ...(info.processingDelay === undefined ? {} : { processingTime: info.processingDelay }),
    ...(info.totalDelay === undefined ? {} : { totalDelay: info.totalDelay }),
    numActiveOutputOps: total - completed.length - failed.length,
    numCompletedOutputOps: completed.length,
    numFailedOutputOps: failed.length,
    numTotalOutputOps: total,
    ...(failed.length > 0 ? { firstFailureReason: failed[0]!.failureReason! } : {}),
  };
}

const STATUSES: readonly BatchStatus[] = ['COMPLETED', 'PROCESSING', 'QUEUED'];

/**
 * `GET batches[?status=COMPLETED|PROCESSING|QUEUED]`, newest first. Several statuses may be
 * given, repeated or comma-separated. Throws a `RangeError` naming the valid ones otherwise.
 */
export function batches(store: StreamingStatusStore, statusParams: readonly string[] = []): BatchInfoJson[] {
  const wanted = new Set<BatchStatus>();
  for (const param of statusParams) {
    for (const raw of param.split(',')) {
      const status = raw.trim().toUpperCase();
      if (status === '') continue;
      if (!STATUSES.includes(status as BatchStatus)) {
        throw new RangeError(`Unknown batch status '${raw}': use ${STATUSES.join(', ')}`);
      }
      wanted.add(status as BatchStatus);
    }
  }
  const all = wanted.size === 0;
  const list: BatchUiData[] = [
    ...(all || wanted.has('COMPLETED') ? store.completedBatches() : []),
    ...(all || wanted.has('PROCESSING') ? store.runningBatches() : []),
    ...(all || wanted.has('QUEUED') ? store.waitingBatches() : []),
  ];
  return list.sort((a, b) => b.batchTime - a.batchTime).map((b) => batchJson(store, b));
}

/** `GET batches/<id>/operations`, by output operation id. */
export function outputOperations(b: BatchUiData): OutputOperationInfoJson[] {
  return sortedOps(b).map(outputOperationJson);
}

function outputOperationJson(op: OutputOperationInfo): OutputOperationInfoJson {
  return {
    outputOpId: op.id,
    name: op.name,
    description: op.description,
    ...(op.startTime === undefined ? {} : { startTime: iso(op.startTime) }),
    ...(op.endTime === undefined ? {} : { endTime: iso(op.endTime) }),
    ...(op.duration === undefined ? {} : { duration: op.duration }),
    ...(op.failureReason === undefined ? {} : { failureReason: op.failureReason }),
    attempts: op.attempts,
    status: op.failureReason !== undefined ? 'FAILED' : op.endTime !== undefined ? 'SUCCEEDED' : 'RUNNING',
  };
}

/** `GET batches/<id>/inputs` (Sluice): each input stream's records, counters and metadata. */
export function batchInputs(b: BatchUiData): StreamInputJson[] {
  return [...b.info.streamIdToInputInfo.values()].sort((x, y) => x.inputStreamId - y.inputStreamId).map(streamInputJson);
}

function streamInputJson(i: StreamInputInfo): StreamInputJson {
  const counters = (['malformedRecords', 'deadLetteredRecords', 'droppedRecords', 'rateLimit', 'bufferedBytes'] as const).filter(
    (k) => i[k] !== undefined,
  );
  return {
    streamId: i.inputStreamId,
    streamName: i.name,
    numRecords: i.numRecords,
    metadata: jsonSafe(i.metadata),
    ...Object.fromEntries(counters.map((k) => [k, i[k]])),
  };
}

/**
 * Metadata is whatever a source put there: make it JSON (bigints as strings, maps as objects,
 * sets as arrays), and never let one odd value (a cycle) break the whole response.
 */
export function jsonSafe(metadata: Readonly<Record<string, unknown>>): Record<string, unknown> {
  try {
    return JSON.parse(JSON.stringify(metadata, jsonReplacer)) as Record<string, unknown>;
  } catch (error) {
    return { unserializable: describe(error) };
  }
}

export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Map) return Object.fromEntries(value);
  if (value instanceof Set) return [...value];
  return value;
}

/** `GET graph` (Sluice): operators with their latest records and state, workers, checkpoint. */
export function graph(src: UiSource): GraphJson {
  const status = src.runtimeStatus();
  const now = src.now();
  const last = status.checkpoint.lastCheckpointTime;
  return {
    time: iso(now),
    operators: status.operators.map((o) => ({
      id: o.id,
      name: o.name,
      kind: o.kind,
      dependencies: [...o.dependencies],
      ...(o.lastBatchTime === undefined ? {} : { lastBatchTime: iso(o.lastBatchTime) }),
      ...(o.lastBatchRecords === undefined ? {} : { lastBatchRecords: o.lastBatchRecords }),
      ...(o.stateSize === undefined ? {} : { stateSize: o.stateSize }),
    })),
    workers: { threads: status.workers.threads, ...(status.workers.utilization === undefined ? {} : { utilization: status.workers.utilization }) },
    checkpoint: {
      enabled: status.checkpoint.directory !== undefined,
      ...(status.checkpoint.directory === undefined ? {} : { directory: status.checkpoint.directory }),
      ...(last === undefined ? {} : { lastCheckpointTime: iso(last), ageMs: Math.max(0, now - last) }),
    },
  };
}

/** A REST response: a status and a JSON body. */
export interface RestResult {
  readonly status: number;
  readonly body: unknown;
}

const notFound = (message: string): RestResult => ({ status: 404, body: { error: 'Not Found', message } });

/**
 * Answers `GET /api/v1/streaming/<segments>`; `undefined` when there is no such endpoint.
 * An unknown batch is a 404, a bad `status` filter a 400.
 */
export function handleRest(src: UiSource, segments: readonly string[], query: URLSearchParams): RestResult | undefined {
  const { store } = src;
  const [first, id, sub, ...rest] = segments;
  if (rest.length > 0) return undefined;
  switch (first) {
    case 'statistics':
      return id === undefined ? { status: 200, body: streamingStatistics(src) } : undefined;
    case 'receivers':
      return id === undefined ? { status: 200, body: receivers(src) } : undefined;
    case 'graph':
      return id === undefined ? { status: 200, body: graph(src) } : undefined;
    case 'batches': {
      if (id === undefined) {
        try {
          return { status: 200, body: batches(store, query.getAll('status')) };
        } catch (error) {
          return { status: 400, body: { error: 'Bad Request', message: (error as Error).message } };
        }
      }
      if (sub !== undefined && sub !== 'operations' && sub !== 'inputs') return undefined;
      const time = /^\d+$/.test(id) ? Number(id) : NaN;
      const batch = Number.isSafeInteger(time) ? store.batch(time) : undefined;
      if (!batch) return notFound(`unknown batch: ${id} (only the last ${store.retainedBatches} completed batches are kept)`);
      if (sub === undefined) return { status: 200, body: batchJson(store, batch) };
      return { status: 200, body: sub === 'operations' ? outputOperations(batch) : batchInputs(batch) };
    }
    default:
      return undefined;
  }
}
