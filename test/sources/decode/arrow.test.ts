import { describe, expect, it } from 'vitest';
import { Field, Float64, Int32, Schema as ArrowSchema, Table, Uint32, Utf8, makeData, makeTable, tableFromIPC, tableToIPC, vectorFromArray, RecordBatch, Struct } from 'apache-arrow';
import { bytes, enc, reasons, rowsOf, tableDecoder, typesOf } from './helpers.js';

/** A table of sensor readings with plain (not dictionary) strings. */
function readings(from: number, n: number): Table {
  return makeTable({
    sensor: Uint32Array.from({ length: n }, (_, i) => from + i),
    value: Float64Array.from({ length: n }, (_, i) => (from + i) / 4),
  });
}

const expectedRows = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ sensor: from + i, value: (from + i) / 4 }));

describe('arrow IPC payloads', () => {
  it('concatenates the record batches of stream and file payloads, one partition each', () => {
    const twoBatches = new Table([...readings(10, 3).batches, ...readings(13, 2).batches]);
    const payloads = [tableToIPC(readings(0, 4), 'stream'), tableToIPC(twoBatches, 'stream'), tableToIPC(readings(100, 1000), 'file')];
    const decoder = tableDecoder({ format: 'arrow' });
    const d = decoder.decodeTable(payloads);
    expect(reasons(d)).toEqual([]);
    expect(d.records).toBe(1009);
    expect(typesOf(d.table)).toEqual({ sensor: 'Uint32', value: 'Float64' });
    expect(rowsOf(d)).toEqual([...expectedRows(0, 4), ...expectedRows(10, 5), ...expectedRows(100, 1000)]);
    const batch = decoder.decode(payloads).batch;
    expect(batch.count()).toBe(1009);
    expect(batch.numPartitions).toBe(4);
  });

  it('keeps a key/value table columnar for the kernels', () => {
    const t = makeTable({ key: Int32Array.of(1, 2, 1), value: Float64Array.of(0.5, 1, 2) });
    const batch = tableDecoder({ format: 'arrow' }).decode([tableToIPC(t)]).batch;
    expect(batch.columns?.[0]?.keys).toEqual({ kind: 'i32', data: Int32Array.of(1, 2, 1) });
    expect(batch.collect()).toEqual([
      [1, 0.5],
      [2, 1],
      [1, 2],
    ]);
  });

  it('reads strings, dictionary-encoded or not, and nulls', () => {
    const s = makeTable({ id: Int32Array.of(1, 2) });
    const withNames = new Table({ id: s.getChild('id')!, name: vectorFromArray(['é😀', null], new Utf8()) });
    const d = tableDecoder({ format: 'arrow' }).decodeTable([tableToIPC(withNames)]);
    expect(rowsOf(d)).toEqual([
      { id: 1, name: 'é😀' },
      { id: 2, name: null },
    ]);
  });

  it('makes unreadable payloads malformed with the reader’s reason', () => {
    const good = tableToIPC(readings(0, 3));
    const truncated = good.subarray(0, good.length - 20);
    let readerMessage = '';
    try {
      tableFromIPC(truncated);
    } catch (e) {
      readerMessage = (e as Error).message;
    }
    expect(readerMessage).not.toBe('');
    const garbage = enc('{"not":"arrow"}');
    const empty = new Uint8Array(0);
    const d = tableDecoder({ format: 'arrow' }).decodeTable([truncated, garbage, empty, bytes(0xff, 0xff, 0xff, 0xff, 8, 0, 0, 0), good]);
    expect(reasons(d)).toEqual([
      `arrow: ${readerMessage}`,
      // The reader takes the first 4 bytes ('{"no') for a metadata length.
      'arrow: Expected to read 1869488763 metadata bytes, but only read 11.',
      'arrow: not an Arrow IPC stream or file (no schema)',
      'arrow: not an Arrow IPC stream or file (no schema)',
    ]);
    expect(d.malformed[0]!.raw).toBe(truncated);
    expect(d.malformed[1]!.raw).toBe(garbage);
    expect(rowsOf(d)).toEqual(expectedRows(0, 3));
  });

  it('makes a payload whose schema differs from the first one malformed, across batches too', () => {
    const decoder = tableDecoder({ format: 'arrow' });
    const other = makeTable({ sensor: Int32Array.of(1), value: Float64Array.of(1) });
    const renamed = makeTable({ id: Uint32Array.of(1), value: Float64Array.of(1) });
    const first = decoder.decodeTable([tableToIPC(readings(0, 2)), tableToIPC(other), tableToIPC(readings(2, 1))]);
    expect(reasons(first)).toEqual(["arrow: schema (sensor: Int32 not null, value: Float64 not null) differs from the stream's (sensor: Uint32 not null, value: Float64 not null)"]);
    expect(rowsOf(first)).toEqual(expectedRows(0, 3));
    const second = decoder.decodeTable([tableToIPC(renamed), tableToIPC(readings(5, 1))]);
    expect(reasons(second)).toEqual(["arrow: schema (id: Uint32 not null, value: Float64 not null) differs from the stream's (sensor: Uint32 not null, value: Float64 not null)"]);
    expect(rowsOf(second)).toEqual(expectedRows(5, 1));
  });

  it('checks payloads against a schema option', () => {
    const decoder = tableDecoder({ format: 'arrow', schema: { sensor: 'u32', value: 'f64' } });
    const nullableSchema = new ArrowSchema([new Field('sensor', new Uint32(), true), new Field('value', new Float64(), true)]);
    const nullable = new Table([
      new RecordBatch(
        nullableSchema,
        makeData({
          type: new Struct(nullableSchema.fields),
          length: 1,
          nullCount: 0,
          children: [makeData({ type: new Uint32(), length: 1, nullCount: 0, data: Uint32Array.of(9) }), makeData({ type: new Float64(), length: 1, nullCount: 0, data: Float64Array.of(9) })],
        }),
      ),
    ]);
    const wrong = makeTable({ sensor: Int32Array.of(1), value: Float64Array.of(1) });
    const d = decoder.decodeTable([tableToIPC(wrong), tableToIPC(readings(0, 1)), tableToIPC(nullable)]);
    expect(reasons(d)).toEqual([
      'arrow: schema (sensor: Int32 not null, value: Float64 not null) does not match the schema option (sensor: u32, value: f64)',
      // The option matches, but nullability differs from the stream's first payload.
      "arrow: schema (sensor: Uint32, value: Float64) differs from the stream's (sensor: Uint32 not null, value: Float64 not null)",
    ]);
    expect(rowsOf(d)).toEqual(expectedRows(0, 1));
    const strings = tableDecoder({ format: 'arrow', schema: { id: 'i32', name: 'utf8' } });
    const dictionary = new Table({ id: vectorFromArray([1], new Int32()), name: vectorFromArray(['x']) });
    expect(reasons(strings.decodeTable([tableToIPC(dictionary)]))).toEqual([]);
  });

  it('makes an oversize payload malformed, and decodes nothing to an empty batch', () => {
    const ipc = tableToIPC(readings(0, 100));
    const d = tableDecoder({ format: 'arrow', maxMessageBytes: ipc.length - 1 }).decodeTable([ipc]);
    expect(reasons(d)).toEqual([`oversize: ${ipc.length} bytes > ${ipc.length - 1}`]);
    expect(d.table).toBeUndefined();
    const r = tableDecoder({ format: 'arrow' }).decode([]);
    expect(r.records).toBe(0);
    expect(r.batch.count()).toBe(0);
  });
});
