/**
 * Sluice: Spark Streaming's DStream model for Node.js. This module is the public API.
 */
export { StreamingContext } from './context.js';
export type { StreamingContextOptions, StreamingContextState, StopOptions } from './context.js';
export { Milliseconds, Seconds, Minutes } from './time.js';
export type { Duration, Time } from './time.js';
export { Batch } from './batch/batch.js';
export type { Pair } from './batch/batch.js';
export type { PairColumns, KeyColumn, ValueColumn } from './batch/columns.js';
export { sum, count, min, max, mean, stats } from './reducers.js';
export type { Reducer, Stats } from './reducers.js';
export { DStream } from './dstream/internal.js';
export { MapWithStateDStream, State, StateSpec } from './dstream/internal.js';
export type { MappingFunction } from './dstream/map-with-state.js';
export type { UpdateStateOptions } from './dstream/state.js';
export type { ReduceByKeyAndWindowOptions } from './dstream/reduced-windowed.js';
export { Receiver } from './sources/receiver.js';
export type { RestartBackoff } from './sources/receiver.js';
export type { QueueStreamOptions } from './sources/queue.js';
export type { SocketStreamOptions, SocketDropCounts } from './sources/socket.js';
export type { TextFileStreamOptions } from './sources/text-file.js';
export type { GeneratorStreamOptions, ColumnarGenerator } from './sources/generator.js';
export type {
  BatchInfo,
  OutputOperationInfo,
  ReceiverInfo,
  StreamInputInfo,
  StreamingListener,
} from './scheduler/listener.js';
export {
  SluiceError,
  InvalidDurationError,
  GraphValidationError,
  IllegalStateError,
  JobFailedError,
} from './errors.js';
