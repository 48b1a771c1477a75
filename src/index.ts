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
export type { ReceiverStreamOptions } from './sources/receiver.js';
export type { SourceOptions, PushSourceOptions, PullSourceOptions } from './sources/broker/broker-input.js';
export type { PidOptions } from './sources/flow/pid-rate-estimator.js';
export type { KafkaStreamOptions, KafkaBatchMetadata, OffsetRange, KafkaReceivedMessage } from './sources/kafka/kafka-input.js';
export type { NatsStreamOptions, NatsBatchMetadata, NatsReceivedMessage } from './sources/nats/nats-input.js';
export type { RedisStreamOptions, RedisBatchMetadata, RedisReceivedMessage } from './sources/redis/redis-input.js';
export type { MqttStreamOptions, MqttBatchMetadata, MqttReceivedMessage } from './sources/mqtt/mqtt-input.js';
export type { ZeroMqStreamOptions, ZeroMqReceivedMessage } from './sources/zeromq/zeromq-input.js';
export { createDecoder, MalformedRecordError } from './sources/decode/decoder.js';
export type { RecordFormat, FieldType, Schema, MalformedPolicy, CsvOptions, DecodeOptions, Decoder, Decoded, Malformed } from './sources/decode/decoder.js';
export { deadLetterFile, MemoryDeadLetterSink } from './sources/decode/dead-letter.js';
export type { DeadLetter, DeadLetterSink } from './sources/decode/dead-letter.js';
export { sinks } from './sinks/index.js';
export type { Sink, DuckDbSink, DuckDbSinkOptions, DuckDbSinkStats, DuckDbColumnType } from './sinks/index.js';
export type { UiOptions } from './ui/options.js';
export type { RuntimeStatus, OperatorStatus } from './runtime-status.js';
export type {
  BatchInfo,
  InputCounters,
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
  WindowStateLostError,
} from './errors.js';
