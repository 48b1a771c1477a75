/**
 * Record decoders: turn the raw payloads a source received in one batch interval into a
 * {@link Batch}, plus the payloads (or lines) that could not be decoded. Structured formats
 * (json with a schema, csv, binary, arrow) are decoded straight into Arrow columns, without a JS
 * object per record.
 *
 * @example
 * ```ts
 * const decoder = createDecoder({ format: 'json', schema: { sensor: 'u32', ts: 'f64', value: 'f32' } });
 * const { batch, records, malformed } = decoder.decode(payloads);
 * ```
 */
import type { Table } from 'apache-arrow';
import type { Batch } from '../../batch/batch.js';
import type { DeadLetterSink } from './dead-letter.js';
import { ArrowDecoder } from './arrow.js';
import { BinaryDecoder } from './binary.js';
import { CsvDecoder } from './csv.js';
import { JsonParseDecoder, JsonScanDecoder } from './json.js';
import { TextRecordDecoder } from './text.js';

export { MalformedRecordError } from './malformed.js';

export type RecordFormat = 'text' | 'json' | 'csv' | 'binary' | 'arrow';
/** Column types. Binary fields are fixed-width little-endian; json/csv use the same names. */
export type FieldType = 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'u64' | 'i64' | 'f32' | 'f64' | 'bool' | 'utf8';
/** Field names and types; the field order is the object's key order. */
export type Schema = Readonly<Record<string, FieldType>>;
/** What happens to a record that cannot be decoded. */
export type MalformedPolicy = 'skip' | 'dead-letter' | 'fail';

export interface CsvOptions {
  /**
   * Whether the first line of the first payload is a header naming the columns (default: true
   * without a schema, false with one). With a schema, header names map columns to fields.
   */
  header?: boolean;
  /** One ASCII character (default `,`). */
  delimiter?: string;
}

export interface DecodeOptions {
  /** Default 'text'. */
  format?: RecordFormat;
  /** Required for 'binary'; optional for 'json', 'csv' and 'arrow'; not taken by 'text'. */
  schema?: Schema;
  /** Only for format 'csv'. */
  csv?: CsvOptions;
  /** Largest payload decoded (default 1 MiB); a bigger one is malformed. */
  maxMessageBytes?: number;
  /** Default: 'dead-letter' when a deadLetter sink is given, else 'skip'. */
  onMalformed?: MalformedPolicy;
  deadLetter?: DeadLetterSink;
}

/** A record that could not be decoded: its bytes and why. */
export interface Malformed {
  readonly raw: Uint8Array;
  readonly reason: string;
}

export interface Decoded<T> {
  readonly batch: Batch<T>;
  /** Records in the batch. */
  readonly records: number;
  /** Malformed payloads (or CSV lines), in arrival order. Empty under policy 'fail' (it throws). */
  readonly malformed: readonly Malformed[];
}

/** What the structured decoders produce before it becomes a batch: the Arrow table itself. */
export interface DecodedTable {
  /** The records as one Arrow table; undefined while the columns are unknown (no header or record yet). */
  readonly table: Table | undefined;
  readonly records: number;
  readonly malformed: readonly Malformed[];
}

export interface Decoder<T> {
  readonly format: RecordFormat;
  /**
   * Decodes the payloads of one batch. Under policy 'fail' the first malformed record throws
   * {@link MalformedRecordError}; otherwise malformed records are returned, never written: the
   * source dead-letters them.
   */
  decode(payloads: readonly Uint8Array[]): Decoded<T>;
}

/** The decoders of structured formats (all but 'text') also give the Arrow table itself. */
export interface TableDecoder<T> extends Decoder<T> {
  decodeTable(payloads: readonly Uint8Array[]): DecodedTable;
}

/** True for a decoder that can give an Arrow table ({@link TableDecoder}). */
export function isTableDecoder<T>(decoder: Decoder<T>): decoder is TableDecoder<T> {
  return typeof (decoder as Partial<TableDecoder<T>>).decodeTable === 'function';
}

export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;

export const RECORD_FORMATS: readonly RecordFormat[] = ['text', 'json', 'csv', 'binary', 'arrow'];
export const FIELD_TYPES: readonly FieldType[] = ['u8', 'i8', 'u16', 'i16', 'u32', 'i32', 'u64', 'i64', 'f32', 'f64', 'bool', 'utf8'];
const POLICIES: readonly MalformedPolicy[] = ['skip', 'dead-letter', 'fail'];

/** Options after validation, with defaults applied. */
export interface ResolvedDecodeOptions {
  readonly format: RecordFormat;
  readonly schema: Schema | undefined;
  readonly csv: { readonly header: boolean; readonly delimiter: number };
  readonly maxMessageBytes: number;
  readonly onMalformed: MalformedPolicy;
}

const list = (xs: readonly string[]) => xs.join(', ');

/**
 * Checks decode options and applies the defaults. Throws a TypeError (or RangeError for numbers)
 * naming the option and what it takes.
 */
export function validateDecodeOptions(options: DecodeOptions = {}): ResolvedDecodeOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError(`Decode options must be an object, got ${String(options)}`);
  const format = options.format ?? 'text';
  if (!RECORD_FORMATS.includes(format)) {
    throw new TypeError(`Unknown record format ${JSON.stringify(format)}: expected one of ${list(RECORD_FORMATS)}`);
  }

  const schema = options.schema;
  if (schema !== undefined) {
    if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
      throw new TypeError(`schema must be an object of field names and types, e.g. { sensor: 'u32', value: 'f64' }, got ${JSON.stringify(schema)}`);
    }
    const entries = Object.entries(schema);
    if (entries.length === 0) throw new TypeError('schema has no field: give at least one, e.g. { value: \'f64\' }');
    for (const [name, type] of entries) {
      if (name === '') throw new TypeError('schema has a field with an empty name');
      if (!FIELD_TYPES.includes(type)) {
        throw new TypeError(`Unknown type ${JSON.stringify(type)} for field "${name}" of the schema: expected one of ${list(FIELD_TYPES)}`);
      }
    }
    if (format === 'text') throw new TypeError(`The 'text' format takes no schema: each record is one string. Use format 'json' or 'csv' for fields.`);
    if (format === 'binary') {
      const utf8 = entries.find(([, t]) => t === 'utf8');
      if (utf8) {
        throw new TypeError(`Field "${utf8[0]}" is utf8, which the 'binary' format cannot hold: binary records are fixed-width numbers and bools`);
      }
    }
  } else if (format === 'binary') {
    throw new TypeError(`The 'binary' format needs a schema giving the record layout, e.g. schema: { sensor: 'u32', ts: 'f64', value: 'f32' }`);
  }

  if (options.csv !== undefined && format !== 'csv') throw new TypeError(`The csv options apply to format 'csv' only (format is '${format}')`);
  const csv = options.csv ?? {};
  if (typeof csv !== 'object' || csv === null) throw new TypeError(`csv must be an object such as { header: true, delimiter: ',' }`);
  if (csv.header !== undefined && typeof csv.header !== 'boolean') throw new TypeError(`csv.header must be true or false, got ${JSON.stringify(csv.header)}`);
  const header = csv.header ?? schema === undefined;
  if (format === 'csv' && !header && schema === undefined) {
    throw new TypeError(`csv with header: false needs a schema naming the columns in order, e.g. schema: { sensor: 'u32', value: 'f64' }`);
  }
  const delimiter = csv.delimiter ?? ',';
  if (typeof delimiter !== 'string' || delimiter.length !== 1 || delimiter.charCodeAt(0) >= 0x80 || '"\r\n'.includes(delimiter)) {
    throw new TypeError(`csv.delimiter must be one ASCII character other than a quote or a line break, got ${JSON.stringify(delimiter)}`);
  }

  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  if (typeof maxMessageBytes !== 'number' || !Number.isSafeInteger(maxMessageBytes) || maxMessageBytes < 1) {
    throw new RangeError(`maxMessageBytes must be a positive integer number of bytes, got ${String(maxMessageBytes)}`);
  }

  const sink = options.deadLetter;
  if (sink !== undefined && (typeof sink !== 'object' || sink === null || typeof sink.write !== 'function' || typeof sink.name !== 'string')) {
    throw new TypeError(`deadLetter must be a DeadLetterSink (a name and a write(records) method), e.g. deadLetterFile('bad-records.jsonl')`);
  }
  const onMalformed = options.onMalformed ?? (sink ? 'dead-letter' : 'skip');
  if (!POLICIES.includes(onMalformed)) {
    throw new TypeError(`Unknown onMalformed policy ${JSON.stringify(onMalformed)}: expected one of ${list(POLICIES)}`);
  }
  if (onMalformed === 'dead-letter' && !sink) {
    throw new TypeError(`onMalformed 'dead-letter' needs a deadLetter sink, e.g. deadLetter: deadLetterFile('bad-records.jsonl')`);
  }

  return { format, schema: schema && Object.freeze({ ...schema }), csv: { header, delimiter: delimiter.charCodeAt(0) }, maxMessageBytes, onMalformed };
}

/**
 * A decoder for the given options (validated; see {@link validateDecodeOptions}). Decoders keep
 * state across batches where a format needs it: the CSV header, the schema JSON inferred from its
 * first good record, the schema of the first Arrow payload. Use one decoder per source.
 */
export function createDecoder<T = unknown>(options?: DecodeOptions): Decoder<T> {
  const o = validateDecodeOptions(options);
  switch (o.format) {
    case 'text':
      return new TextRecordDecoder(o) as unknown as Decoder<T>;
    case 'json':
      return (o.schema ? new JsonScanDecoder<T>(o, o.schema) : new JsonParseDecoder<T>(o)) as Decoder<T>;
    case 'csv':
      return new CsvDecoder<T>(o);
    case 'binary':
      return new BinaryDecoder<T>(o, o.schema!);
    case 'arrow':
      return new ArrowDecoder<T>(o);
  }
}
