/**
 * What the event stream carries: a snapshot when a page connects (everything it draws), then a
 * compact update per event (the batch concerned, the new statistics and source summaries, the
 * graph after a batch completed). Built from the same functions as the REST API, so the page
 * and the API always agree.
 */
import type { BatchInfo, ReceiverInfo } from '../scheduler/listener.js';
import { batchJson, batches, graph, iso, receivers, recordsPerSecond, streamingStatistics, type BatchInfoJson, type GraphJson, type ReceiverInfoJson, type StreamingStatisticsJson, type UiSource } from './rest.js';

/** The first event on a stream: the whole picture. */
export interface SnapshotJson {
  appName: string;
  time: string;
  running: boolean;
  batchDuration: number;
  retainedBatches: number;
  statistics: StreamingStatisticsJson;
  receivers: ReceiverInfoJson[];
  /** Every retained batch, active ones included, newest first (as `GET batches`). */
  batches: BatchInfoJson[];
  graph: GraphJson;
}

export type UpdateType =
  | 'batchSubmitted'
  | 'batchStarted'
  | 'batchCompleted'
  | 'outputOperationCompleted'
  | 'receiverStarted'
  | 'receiverError'
  | 'receiverStopped'
  /** The last event: the context stopped; the stream ends after it. */
  | 'stopped';

/** A later event. Receivers come without their rate history: the page adds `inputs` to its own. */
export interface UpdateJson {
  type: UpdateType;
  time: string;
  running: boolean;
  statistics: StreamingStatisticsJson;
  receivers: Omit<ReceiverInfoJson, 'eventRates' | 'rateLimits'>[];
  batch?: BatchInfoJson;
  /** For a submitted batch: each stream's rate (records/s) and rate limit in it. */
  inputs?: { streamId: number; rate: number; rateLimit?: number }[];
  graph?: GraphJson;
  receiver?: { streamId: number; name: string; active: boolean; lastErrorMessage?: string };
}

export function snapshot(src: UiSource, running: boolean): SnapshotJson {
  return {
    appName: src.appName,
    time: iso(src.now()),
    running,
    batchDuration: src.store.batchDuration,
    retainedBatches: src.store.retainedBatches,
    statistics: streamingStatistics(src),
    receivers: receivers(src),
    batches: batches(src.store),
    graph: graph(src),
  };
}

export function update(src: UiSource, running: boolean, type: UpdateType, about: { batchInfo?: BatchInfo; receiverInfo?: ReceiverInfo }): UpdateJson {
  const { store } = src;
  const json: UpdateJson = {
    type,
    time: iso(src.now()),
    running,
    statistics: streamingStatistics(src),
    // The page keeps the rate histories itself; the averages over the retained batches still change.
    receivers: receivers(src).map(({ eventRates: _e, rateLimits: _r, ...summary }) => summary),
  };
  const info = about.batchInfo;
  if (info) {
    const batch = store.batch(info.batchTime);
    if (batch) json.batch = batchJson(store, batch);
    if (type === 'batchSubmitted') {
      json.inputs = [...info.streamIdToInputInfo.values()].map((i) => ({
        streamId: i.inputStreamId,
        rate: recordsPerSecond(i.numRecords, store.batchDuration),
        ...(i.rateLimit === undefined ? {} : { rateLimit: i.rateLimit }),
      }));
    }
  }
  if (type === 'batchCompleted' || type === 'stopped') json.graph = graph(src);
  const r = about.receiverInfo;
  if (r) json.receiver = { streamId: r.streamId, name: r.name, active: r.active, ...(r.lastErrorMessage ? { lastErrorMessage: r.lastErrorMessage } : {}) };
  return json;
}
