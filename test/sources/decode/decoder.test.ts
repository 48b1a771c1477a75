import { describe, expect, it } from 'vitest';
import { tableToIPC, makeTable } from 'apache-arrow';
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  MalformedRecordError,
  createDecoder,
  isTableDecoder,
  validateDecodeOptions,
  type DecodeOptions,
  type RecordFormat,
} from '../../../src/sources/decode/decoder.js';
import { MemoryDeadLetterSink } from '../../../src/sources/decode/dead-letter.js';
import { previewBytes } from '../../../src/sources/decode/malformed.js';
import { SluiceError } from '../../../src/errors.js';
import { bytes, enc, reasons } from './helpers.js';

describe('validateDecodeOptions', () => {
  it('applies the defaults', () => {
    expect(validateDecodeOptions()).toEqual({
      format: 'text',
      schema: undefined,
      csv: { header: true, delimiter: 0x2c },
      maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
      onMalformed: 'skip',
    });
    expect(DEFAULT_MAX_MESSAGE_BYTES).toBe(1024 * 1024);
    expect(validateDecodeOptions({ deadLetter: new MemoryDeadLetterSink() }).onMalformed).toBe('dead-letter');
    expect(validateDecodeOptions({ deadLetter: new MemoryDeadLetterSink(), onMalformed: 'fail' }).onMalformed).toBe('fail');
    expect(validateDecodeOptions({ format: 'csv', schema: { a: 'f64' } }).csv).toEqual({ header: false, delimiter: 0x2c });
    expect(validateDecodeOptions({ format: 'csv', csv: { delimiter: '\t' } }).csv).toEqual({ header: true, delimiter: 9 });
  });

  it('copies and freezes the schema, so later changes to the caller’s object do not apply', () => {
    const schema: Record<string, 'f64' | 'u32'> = { a: 'f64' };
    const o = validateDecodeOptions({ format: 'json', schema });
    schema.b = 'u32';
    expect(o.schema).toEqual({ a: 'f64' });
    expect(Object.isFrozen(o.schema)).toBe(true);
  });

  const errors: [string, unknown, ErrorConstructor, string][] = [
    ['unknown format', { format: 'xml' }, TypeError, 'Unknown record format "xml": expected one of text, json, csv, binary, arrow'],
    ['binary without schema', { format: 'binary' }, TypeError, "The 'binary' format needs a schema giving the record layout, e.g. schema: { sensor: 'u32', ts: 'f64', value: 'f32' }"],
    ['unknown field type', { format: 'json', schema: { value: 'float' } }, TypeError, 'Unknown type "float" for field "value" of the schema: expected one of u8, i8, u16, i16, u32, i32, u64, i64, f32, f64, bool, utf8'],
    ['utf8 in binary', { format: 'binary', schema: { id: 'u32', name: 'utf8' } }, TypeError, 'Field "name" is utf8, which the \'binary\' format cannot hold: binary records are fixed-width numbers and bools'],
    ['schema for text', { format: 'text', schema: { a: 'f64' } }, TypeError, "The 'text' format takes no schema: each record is one string. Use format 'json' or 'csv' for fields."],
    ['empty schema', { format: 'json', schema: {} }, TypeError, "schema has no field: give at least one, e.g. { value: 'f64' }"],
    ['schema not an object', { format: 'json', schema: ['a'] }, TypeError, `schema must be an object of field names and types, e.g. { sensor: 'u32', value: 'f64' }, got ["a"]`],
    ['empty field name', { format: 'json', schema: { '': 'f64' } }, TypeError, 'schema has a field with an empty name'],
    ['csv options for json', { format: 'json', csv: { header: true } }, TypeError, "The csv options apply to format 'csv' only (format is 'json')"],
    ['csv without header or schema', { format: 'csv', csv: { header: false } }, TypeError, "csv with header: false needs a schema naming the columns in order, e.g. schema: { sensor: 'u32', value: 'f64' }"],
    ['csv header not boolean', { format: 'csv', csv: { header: 'yes' } }, TypeError, 'csv.header must be true or false, got "yes"'],
    ['empty delimiter', { format: 'csv', csv: { delimiter: '' } }, TypeError, 'csv.delimiter must be one ASCII character other than a quote or a line break, got ""'],
    ['long delimiter', { format: 'csv', csv: { delimiter: ',,' } }, TypeError, 'csv.delimiter must be one ASCII character other than a quote or a line break, got ",,"'],
    ['quote delimiter', { format: 'csv', csv: { delimiter: '"' } }, TypeError, 'csv.delimiter must be one ASCII character other than a quote or a line break, got "\\""'],
    ['newline delimiter', { format: 'csv', csv: { delimiter: '\n' } }, TypeError, 'csv.delimiter must be one ASCII character other than a quote or a line break, got "\\n"'],
    ['non-ASCII delimiter', { format: 'csv', csv: { delimiter: '§' } }, TypeError, 'csv.delimiter must be one ASCII character other than a quote or a line break, got "§"'],
    ['zero maxMessageBytes', { maxMessageBytes: 0 }, RangeError, 'maxMessageBytes must be a positive integer number of bytes, got 0'],
    ['negative maxMessageBytes', { maxMessageBytes: -5 }, RangeError, 'maxMessageBytes must be a positive integer number of bytes, got -5'],
    ['fractional maxMessageBytes', { maxMessageBytes: 1.5 }, RangeError, 'maxMessageBytes must be a positive integer number of bytes, got 1.5'],
    ['NaN maxMessageBytes', { maxMessageBytes: NaN }, RangeError, 'maxMessageBytes must be a positive integer number of bytes, got NaN'],
    ['string maxMessageBytes', { maxMessageBytes: '1024' }, RangeError, 'maxMessageBytes must be a positive integer number of bytes, got 1024'],
    ['unknown policy', { onMalformed: 'ignore' }, TypeError, 'Unknown onMalformed policy "ignore": expected one of skip, dead-letter, fail'],
    ['dead-letter without a sink', { onMalformed: 'dead-letter' }, TypeError, "onMalformed 'dead-letter' needs a deadLetter sink, e.g. deadLetter: deadLetterFile('bad-records.jsonl')"],
    ['a sink without write', { deadLetter: { name: 'x' } }, TypeError, "deadLetter must be a DeadLetterSink (a name and a write(records) method), e.g. deadLetterFile('bad-records.jsonl')"],
    ['options not an object', 'json', TypeError, 'Decode options must be an object, got json'],
  ];
  it.each(errors)('rejects %s', (_, options, type, message) => {
    expect(() => validateDecodeOptions(options as DecodeOptions)).toThrow(type);
    expect(() => validateDecodeOptions(options as DecodeOptions)).toThrow(message);
    // createDecoder validates the same way.
    expect(() => createDecoder(options as DecodeOptions)).toThrow(message);
  });
});

describe('createDecoder', () => {
  it('makes a decoder of each format; the structured ones give Arrow tables too', () => {
    const options: Record<RecordFormat, DecodeOptions> = {
      text: {},
      json: { format: 'json' },
      csv: { format: 'csv' },
      binary: { format: 'binary', schema: { v: 'f64' } },
      arrow: { format: 'arrow' },
    };
    for (const [format, o] of Object.entries(options)) {
      const d = createDecoder(o);
      expect(d.format).toBe(format);
      expect(isTableDecoder(d)).toBe(format !== 'text');
    }
  });
});

describe('malformed record policies', () => {
  /** One malformed payload per format, with its reason, between two good ones. */
  const perFormat: [string, DecodeOptions, Uint8Array[], string][] = [
    ['text', { format: 'text' }, [enc('a'), bytes(0x61, 0xff), enc('b')], 'text: invalid UTF-8 at byte 1'],
    ['json', { format: 'json', schema: { v: 'f64' } }, [enc('{"v":1}'), enc('{"v":true}'), enc('{"v":2}')], 'json: expected number for "v" at byte 5'],
    ['json (no schema)', { format: 'json' }, [enc('{"v":1}'), enc('{"v":true}'), enc('{"v":2}')], 'json: expected number for "v", got a boolean'],
    ['csv', { format: 'csv', schema: { v: 'f64' } }, [enc('1'), enc('x'), enc('2')], 'csv: expected f64 for "v" (field 1), got "x"'],
    ['binary', { format: 'binary', schema: { v: 'f64' } }, [new Uint8Array(8), new Uint8Array(7), new Uint8Array(8)], 'binary: 7 bytes is not a multiple of the 8-byte record'],
    ['arrow', { format: 'arrow' }, [tableToIPC(makeTable({ v: Float64Array.of(1) })), bytes(1, 2, 3), tableToIPC(makeTable({ v: Float64Array.of(2) }))], 'arrow: not an Arrow IPC stream or file (no schema)'],
  ];

  it.each(perFormat)('%s: skip and dead-letter return the malformed records and decode the rest', (_, options, payloads, reason) => {
    for (const policy of ['skip', 'dead-letter'] as const) {
      const sink = new MemoryDeadLetterSink();
      const r = createDecoder({ ...options, onMalformed: policy, ...(policy === 'dead-letter' ? { deadLetter: sink } : {}) }).decode(payloads);
      expect(reasons(r)).toEqual([reason]);
      expect(r.malformed[0]!.raw).toEqual(payloads[1]);
      expect(r.records).toBe(2);
      expect(r.batch.count()).toBe(2);
      // The decoder never writes to the sink: the source does, with the batch time.
      expect(sink.records).toEqual([]);
    }
  });

  it.each(perFormat)('%s: fail throws MalformedRecordError naming the reason and the bytes', (_, options, payloads, reason) => {
    const d = createDecoder({ ...options, onMalformed: 'fail' });
    let error: unknown;
    try {
      d.decode(payloads);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MalformedRecordError);
    expect(error).toBeInstanceOf(SluiceError);
    const e = error as MalformedRecordError;
    expect(e.name).toBe('MalformedRecordError');
    expect(e.reason).toBe(reason);
    expect(e.raw).toEqual(payloads[1]);
    expect(e.message).toBe(
      `Malformed record (${reason}): ${previewBytes(payloads[1]!)}. Fix the producer, or set onMalformed: 'skip' or 'dead-letter' to go on past malformed records.`,
    );
    // The decoder still works for the next batch.
    expect(d.decode([payloads[0]!]).records).toBe(1);
  });

  it('fail reports an oversize payload too', () => {
    expect(() => createDecoder({ format: 'json', schema: { v: 'f64' }, onMalformed: 'fail', maxMessageBytes: 4 }).decode([enc('{"v":1}')])).toThrow(
      'Malformed record (oversize: 7 bytes > 4): "{\\"v\\":1}" (7 bytes).',
    );
  });
});

describe('previewBytes', () => {
  it('shows text quoted and escaped, truncated to 64 characters', () => {
    expect(previewBytes(enc('{"v":true}'))).toBe('"{\\"v\\":true}" (10 bytes)');
    expect(previewBytes(enc('tab\there\n'))).toBe('"tab\\there\\n" (9 bytes)');
    expect(previewBytes(enc('é'.repeat(70)))).toBe(`"${'é'.repeat(64)}"… (140 bytes)`);
    expect(previewBytes(enc('😀'.repeat(64)))).toBe(`"${'😀'.repeat(64)}" (256 bytes)`);
    expect(previewBytes(enc(''))).toBe('"" (0 bytes)');
  });

  it('shows other bytes in hex, truncated to 32 bytes', () => {
    expect(previewBytes(bytes(0x61, 0xff, 0x00))).toBe('0x61ff00 (3 bytes, not UTF-8)');
    const long = Uint8Array.from({ length: 40 }, (_, i) => (i === 0 ? 0xff : i));
    expect(previewBytes(long)).toBe(`0x${Buffer.from(long.subarray(0, 32)).toString('hex')}… (40 bytes, not UTF-8)`);
    expect(previewBytes(long.subarray(1, 3))).toBe('"\\u0001\\u0002" (2 bytes)');
  });
});

describe('payloads as Node Buffers', () => {
  it('decodes pooled Buffers (views at an offset of a shared buffer) in every format', () => {
    const pooled = (s: string) => Buffer.from(s, 'utf8');
    expect(pooled('x').byteOffset).toBeGreaterThanOrEqual(0);
    expect(createDecoder({ format: 'text' }).decode([pooled('é1'), pooled('€2')]).batch.collect()).toEqual(['é1', '€2']);
    expect(createDecoder({ format: 'json', schema: { s: 'utf8', n: 'i32' } }).decode([pooled('{"s":"é","n":-1}'), pooled('{"n":2}')]).batch.collect()).toEqual([
      { s: 'é', n: -1 },
      { s: null, n: 2 },
    ]);
    expect(createDecoder({ format: 'json' }).decode([pooled('{"a":1}')]).batch.collect()).toEqual([{ a: 1 }]);
    expect(createDecoder({ format: 'csv' }).decode([pooled('a,b\n1,x\n'), pooled('2,y')]).batch.collect()).toEqual([
      { a: 1, b: 'x' },
      { a: 2, b: 'y' },
    ]);
    const frame = Buffer.alloc(9);
    frame.writeUInt32LE(7, 0);
    frame.writeUInt32LE(8, 4);
    frame.writeUInt8(9, 8);
    expect(createDecoder({ format: 'binary', schema: { a: 'u32' } }).decode([frame.subarray(0, 8), frame.subarray(4, 8)]).batch.collect()).toEqual([{ a: 7 }, { a: 8 }, { a: 8 }]);
    const ipc = Buffer.concat([Buffer.from([1, 2, 3]), Buffer.from(tableToIPC(makeTable({ v: Float64Array.of(1.5) })))]);
    expect(createDecoder({ format: 'arrow' }).decode([ipc.subarray(3)]).batch.collect()).toEqual([{ v: 1.5 }]);
  });
});
