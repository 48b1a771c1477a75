/**
 * Shared helpers of the test suites for contexts: manual-clock contexts (with a temporary
 * checkpoint directory when the graph needs one), running them, temporary directories, and
 * recording the listener events a context or scheduler posts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import {
  Seconds,
  StreamingContext,
  type BatchInfo,
  type Duration,
  type OutputOperationInfo,
  type StreamingListener,
} from '../../src/index.js';
import type { ManualClock } from '../../src/scheduler/clock.js';
import { advanceBatches } from '../../src/testing.js';

export interface ManualContextOptions {
  /** Default 1 s. */
  batchInterval?: Duration;
  maxTaskFailures?: number;
  appName?: string;
}

/** A manual-clock context (not started, no checkpoint directory) and its clock. */
export function manualContext(options: ManualContextOptions = {}): { ssc: StreamingContext; clock: ManualClock } {
  const ssc = new StreamingContext({
    batchInterval: options.batchInterval ?? Seconds(1),
    clock: 'manual',
    maxTaskFailures: options.maxTaskFailures,
    appName: options.appName,
  });
  return { ssc, clock: ssc.clock as ManualClock };
}

export interface ContextOptions extends ManualContextOptions {
  /** Set a checkpoint directory (default true). */
  checkpoint?: boolean;
  listener?: StreamingListener;
}

/**
 * Runs `body` with a manual-clock context (batch interval 1 s unless told otherwise) and a fresh
 * checkpoint directory, then stops the context and removes the directory.
 */
export async function withContext<R>(options: ContextOptions, body: (ssc: StreamingContext) => Promise<R>): Promise<R> {
  const { ssc } = manualContext(options);
  const dir = await mkdtemp(join(tmpdir(), 'sluice-test-'));
  try {
    if (options.checkpoint ?? true) ssc.checkpoint(dir);
    if (options.listener) ssc.addStreamingListener(options.listener);
    return await body(ssc);
  } finally {
    await ssc.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Starts a manual-clock context and runs `numBatches` batches. */
export async function runBatches(ssc: StreamingContext, numBatches: number): Promise<void> {
  await ssc.start();
  await advanceBatches(ssc, numBatches);
}

/**
 * Gives every test of the calling suite (call it in a `describe`, or at the top of a file) a
 * fresh temporary directory, removed after the test; returns the current test's directory.
 */
export function useTempDir(prefix: string): () => string {
  let dir: string | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
  });
  afterEach(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });
  return () => {
    if (dir === undefined) throw new Error('useTempDir: the directory exists only while a test runs');
    return dir;
  };
}

/** The listener events recorded by {@link recordListenerEvents}. */
const RECORDED_EVENTS = [
  'onStreamingStarted',
  'onBatchSubmitted',
  'onBatchStarted',
  'onBatchCompleted',
  'onOutputOperationStarted',
  'onOutputOperationCompleted',
] as const;

export type RecordedEventName = (typeof RECORDED_EVENTS)[number];

export interface EventRecorder {
  /** Every event, in the order posted. */
  events: { name: RecordedEventName; event: Record<string, unknown> }[];
  /** The recording listener (to add to a ListenerBus, or to remove from a context). */
  listener: StreamingListener;
  /** The batch infos of the events named `name`, in order. */
  batches(name: RecordedEventName): BatchInfo[];
  /** The output-operation infos of the events named `name`, in order. */
  outputs(name: RecordedEventName): OutputOperationInfo[];
}

/**
 * Records the streaming, batch and output-operation events posted to its listener; the listener
 * is added to `ssc` when one is given.
 */
export function recordListenerEvents(ssc?: StreamingContext): EventRecorder {
  const events: EventRecorder['events'] = [];
  const listener: StreamingListener = {};
  for (const name of RECORDED_EVENTS) {
    listener[name] = (event: never) => void events.push({ name, event });
  }
  ssc?.addStreamingListener(listener);
  const batches = (name: RecordedEventName) => events.filter((e) => e.name === name).map((e) => e.event.batchInfo as BatchInfo);
  const outputs = (name: RecordedEventName) =>
    events.filter((e) => e.name === name).map((e) => e.event.outputOperationInfo as OutputOperationInfo);
  return { events, listener, batches, outputs };
}
