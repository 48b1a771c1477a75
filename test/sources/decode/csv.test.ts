import { describe, expect, it } from 'vitest';
import type { DecodeOptions, Schema } from '../../../src/sources/decode/decoder.js';
import type { CsvDecoder } from '../../../src/sources/decode/csv.js';
import { bytes, cat, enc, randomValues, reasons, rowsOf, tableDecoder, typesOf } from './helpers.js';

const csv = (options: Omit<DecodeOptions, 'format'> = {}) => tableDecoder({ format: 'csv', ...options });
const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** A CSV field for a string: quoted when it must be. */
const quote = (s: string) => (/[",\r\n]/.test(s) || s === '' ? `"${s.replaceAll('"', '""')}"` : s);

describe('csv with a schema', () => {
  it('round-trips many records of every type over several payloads and line endings', () => {
    const schema: Schema = { u8: 'u8', i16: 'i16', u32: 'u32', i32: 'i32', u64: 'u64', i64: 'i64', f32: 'f32', f64: 'f64', bool: 'bool', s: 'utf8' };
    const { rand, int, u64, i64 } = randomValues(11);
    const strings = ['plain', 'with, comma', 'say "hi"', 'multi\nline', 'cr\r\nlf', 'é€😀中', ' spaced ', ''];
    const expected: Record<string, unknown>[] = [];
    const payloads: Uint8Array[] = [];
    let lines: string[] = [];
    for (let r = 0; r < 3000; r++) {
      const f32src = (rand() - 0.5) * 1e4;
      const row = {
        u8: int(0, 255),
        i16: int(-32768, 32767),
        u32: int(0, 0xffffffff),
        i32: int(-0x80000000, 0x7fffffff),
        u64: u64(),
        i64: i64(),
        f32: Math.fround(f32src),
        f64: r % 4 === 0 ? (rand() - 0.5) * 10 ** int(-300, 300) : Math.round((rand() - 0.5) * 1e6) / 100,
        bool: rand() < 0.5,
        s: strings[r % strings.length]!,
      };
      expected.push(row);
      lines.push([row.u8, row.i16, row.u32, row.i32, row.u64, row.i64, f32src, row.f64, row.bool, quote(row.s)].join(','));
      if (lines.length === 700 || r === 2999) {
        const eol = ['\n', '\r\n', '\r'][payloads.length % 3]!;
        payloads.push(enc(lines.join(eol) + (payloads.length % 2 ? eol : '')));
        lines = [];
      }
    }
    const d = csv({ schema }).decodeTable(payloads);
    expect(reasons(d)).toEqual([]);
    expect(d.records).toBe(3000);
    expect(typesOf(d.table)).toEqual({ u8: 'Uint8', i16: 'Int16', u32: 'Uint32', i32: 'Int32', u64: 'Uint64', i64: 'Int64', f32: 'Float32', f64: 'Float64', bool: 'Bool', s: 'Utf8' });
    expect(rowsOf(d)).toEqual(expected);
  });

  it('parses quoted fields, escaped quotes, blanks around numbers, bools and empty fields', () => {
    const schema: Schema = { n: 'f64', s: 'utf8', b: 'bool', i: 'i32' };
    const d = csv({ schema }).decodeTable([
      enc('1,plain,true,1\n" 2 ","a, ""quoted"" word",FALSE, -3 \n-0,"",1,"7"\n,,,\n 1e3 , untrimmed ,0,\n"-1.5E-2","x\ny",True,-0\n'),
    ]);
    expect(reasons(d)).toEqual([]);
    expect(rowsOf(d)).toEqual([
      { n: 1, s: 'plain', b: true, i: 1 },
      { n: 2, s: 'a, "quoted" word', b: false, i: -3 },
      { n: -0, s: '', b: true, i: 7 },
      { n: null, s: '', b: null, i: null },
      { n: 1000, s: ' untrimmed ', b: false, i: null },
      { n: -0.015, s: 'x\ny', b: true, i: 0 },
    ]);
    expect(Object.is(rowsOf(d)[2]!.n, -0)).toBe(true);
  });

  it('reads numbers exactly: huge, tiny, long, NaN and Infinity, 64-bit beyond 2^53', () => {
    const d = csv({ schema: { f: 'f64', u: 'u64', i: 'i64' } }).decodeTable([
      enc('1.7976931348623157e308,18446744073709551615,-9223372036854775808\n5e-324,9007199254740993,9223372036854775807\n3.141592653589793238,+12,-1\nNaN,0,1e3\n-Infinity,1,2\n.5,2,3\n5.,3,4\n'),
    ]);
    expect(reasons(d)).toEqual([]);
    expect(rowsOf(d)).toEqual([
      { f: 1.7976931348623157e308, u: 18446744073709551615n, i: -9223372036854775808n },
      { f: 5e-324, u: 9007199254740993n, i: 9223372036854775807n },
      { f: 3.141592653589793, u: 12n, i: -1n },
      { f: NaN, u: 0n, i: 1000n },
      { f: -Infinity, u: 1n, i: 2n },
      { f: 0.5, u: 2n, i: 3n },
      { f: 5, u: 3n, i: 4n },
    ]);
  });

  it('maps columns by header name when there is a header, remembered across batches', () => {
    const d = csv({ schema: { value: 'f64', sensor: 'u32', missing: 'utf8' }, csv: { header: true } });
    const first = d.decodeTable([enc('sensor,ignored,value\n1,x,1.5\n'), enc('2,y,2.5\n')]);
    expect(reasons(first)).toEqual([]);
    expect(rowsOf(first)).toEqual([
      { value: 1.5, sensor: 1, missing: null },
      { value: 2.5, sensor: 2, missing: null },
    ]);
    // The header is only the first line of the first payload: later payloads are all data.
    const second = d.decodeTable([enc('3,z,3.5\r\n')]);
    expect(rowsOf(second)).toEqual([{ value: 3.5, sensor: 3, missing: null }]);
    expect(reasons(d.decodeTable([enc('sensor,ignored,value\n')]))).toEqual(['csv: expected u32 for "sensor" (field 1), got "sensor"']);
  });

  it('takes another delimiter, blank lines, a BOM, and a trailing delimiter as an empty last field', () => {
    const d = csv({ schema: { a: 'i32', b: 'utf8', c: 'f64' }, csv: { delimiter: ';' } }).decodeTable([
      enc('\ufeff1;x,y;2\n\n\r\n2;"q;r";\r\r\n'),
      enc('3;;4'),
    ]);
    expect(reasons(d)).toEqual([]);
    expect(rowsOf(d)).toEqual([
      { a: 1, b: 'x,y', c: 2 },
      { a: 2, b: 'q;r', c: null },
      { a: 3, b: '', c: 4 },
    ]);
    const tabs = csv({ schema: { a: 'utf8', b: 'utf8' }, csv: { delimiter: '\t' } }).decodeTable([enc('x\ty z\n"\t"\t\n')]);
    expect(rowsOf(tabs)).toEqual([
      { a: 'x', b: 'y z' },
      { a: '\t', b: '' },
    ]);
  });

  it('grows its columns for a payload of many lines', () => {
    const n = 20_000;
    const d = csv({ schema: { i: 'u32', s: 'utf8' } }).decodeTable([enc(Array.from({ length: n }, (_, i) => `${i},s${i}`).join('\n'))]);
    expect(d.records).toBe(n);
    const rows = rowsOf(d);
    expect(rows[0]).toEqual({ i: 0, s: 's0' });
    expect(rows[n - 1]).toEqual({ i: n - 1, s: `s${n - 1}` });
    expect(rows.every((r, i) => r.i === i && r.s === `s${i}`)).toBe(true);
  });

  describe('malformed lines, each with its reason and its own bytes', () => {
    const schema: Schema = { id: 'u32', level: 'u8', value: 'f64', ok: 'bool' };
    const cases: [string, string, string, string][] = [
      ['too few fields', '1,2,3', 'csv: expected 4 fields, got 3', '1,2,3'],
      ['too many fields', '1,2,3,true,5', 'csv: expected 4 fields, got 5', '1,2,3,true,5'],
      ['a word for a number', '1,2,abc,true', 'csv: expected f64 for "value" (field 3), got "abc"', '1,2,abc,true'],
      ['trailing junk after a number', '1,2,3x,true', 'csv: expected f64 for "value" (field 3), got "3x"', '1,2,3x,true'],
      ['out of range', '1,300,3,true', 'csv: 300 out of range for u8 "level" (field 2)', '1,300,3,true'],
      ['negative for unsigned', '-1,3,3,true', 'csv: -1 out of range for u32 "id" (field 1)', '-1,3,3,true'],
      ['a fraction for an integer', '1,1.5,3,true', 'csv: expected u8 for "level" (field 2), got "1.5"', '1,1.5,3,true'],
      ['not a bool', '1,2,3,yes', 'csv: expected bool for "ok" (field 4), got "yes"', '1,2,3,yes'],
      ['a quote inside a number', '1,2,"3""",true', 'csv: expected f64 for "value" (field 3), got "3\\""', '1,2,"3""",true'],
      ['text after a closing quote', '"1"x,2,3,true', "csv: unexpected 'x' after a closing quote at byte 3", '"1"x,2,3,true'],
      ['a quote in an unquoted field', '1,2,3"4,true', 'csv: quote inside an unquoted field at byte 5', '1,2,3"4,true'],
    ];
    it.each(cases)('%s', (_, line, reason, raw) => {
      const d = csv({ schema }).decodeTable([enc(`1,2,3,true\r\n${line}\r\n4,5,6,false`)]);
      expect(reasons(d)).toEqual([reason]);
      expect(text(d.malformed[0]!.raw)).toBe(raw);
      expect(rowsOf(d)).toEqual([
        { id: 1, level: 2, value: 3, ok: true },
        { id: 4, level: 5, value: 6, ok: false },
      ]);
    });

    it('an unterminated quote takes the rest of the payload, not the next one', () => {
      const d = csv({ schema }).decodeTable([enc('1,2,3,true\n5,"6,7,true\n8,9,10,false\n'), enc('4,5,6,false')]);
      expect(reasons(d)).toEqual(['csv: unterminated quoted field at byte 2']);
      expect(text(d.malformed[0]!.raw)).toBe('5,"6,7,true\n8,9,10,false\n');
      expect(rowsOf(d).map((r) => r.id)).toEqual([1, 4]);
    });

    it('invalid UTF-8 makes its line malformed only', () => {
      const bad = cat(enc('2,2,2,true,'), bytes(0xff), enc('x'));
      const d = csv({ schema: { ...schema, s: 'utf8' } }).decodeTable([cat(enc('1,1,1,true,é\n'), bad, enc('\n3,3,3,false,€'))]);
      expect(reasons(d)).toEqual(['csv: invalid UTF-8 at byte 11']);
      expect(d.malformed[0]!.raw).toEqual(bad);
      expect(rowsOf(d).map((r) => r.s)).toEqual(['é', '€']);
    });

    it('an oversize payload is malformed as a whole', () => {
      const big = enc('1,2,3,true\n'.repeat(3));
      const d = csv({ schema, maxMessageBytes: 32 }).decodeTable([enc('9,9,9,false'), big]);
      expect(reasons(d)).toEqual(['oversize: 33 bytes > 32']);
      expect(d.malformed[0]!.raw).toBe(big);
      expect(d.records).toBe(1);
    });
  });
});

describe('csv without a schema (header names the columns, types inferred per batch)', () => {
  it('infers f64 for numeric columns (empty values null) and utf8 for the others', () => {
    const d = csv();
    const r = d.decodeTable([enc('sensor,name,value,note,blank\r\n1,a,1.5,x,\r\n2,"b, c",,,\r\n'), enc('3,d,-2e3,"",\n')]);
    expect(reasons(r)).toEqual([]);
    expect(typesOf(r.table)).toEqual({ sensor: 'Float64', name: 'Utf8', value: 'Float64', note: 'Utf8', blank: 'Utf8' });
    expect(rowsOf(r)).toEqual([
      { sensor: 1, name: 'a', value: 1.5, note: 'x', blank: '' },
      { sensor: 2, name: 'b, c', value: null, note: '', blank: '' },
      { sensor: 3, name: 'd', value: -2000, note: '', blank: '' },
    ]);
    // The next batch keeps the header and infers again: 'sensor' is now text.
    const next = d.decodeTable([enc('s1,e,1,y,z\n')]);
    expect(typesOf(next.table)).toEqual({ sensor: 'Utf8', name: 'Utf8', value: 'Float64', note: 'Utf8', blank: 'Utf8' });
    expect(rowsOf(next)).toEqual([{ sensor: 's1', name: 'e', value: 1, note: 'y', blank: 'z' }]);
    expect((d as unknown as CsvDecoder).headerNames).toEqual(['sensor', 'name', 'value', 'note', 'blank']);
  });

  it('has no columns before the header, and none but the header for a header-only payload', () => {
    const d = csv();
    const empty = d.decodeTable([]);
    expect(empty.table).toBeUndefined();
    expect(empty.records).toBe(0);
    const onlyHeader = d.decodeTable([enc('a,b\n')]);
    expect(onlyHeader.records).toBe(0);
    expect(typesOf(onlyHeader.table)).toEqual({ a: 'Utf8', b: 'Utf8' });
  });

  it('renames repeated header names, and reports a header line that cannot be read', () => {
    const d = csv();
    const bad = cat(enc('x,'), bytes(0xfe));
    const r = d.decodeTable([cat(bad, enc('\na,a,b,a\n1,2,3,4'))]);
    expect(reasons(r)).toEqual(['csv: invalid UTF-8 at byte 2']);
    expect(r.malformed[0]!.raw).toEqual(bad);
    expect(rowsOf(r)).toEqual([{ a: 1, a_2: 2, b: 3, a_3: 4 }]);
  });

  it('checks the field count against the header', () => {
    const r = csv().decodeTable([enc('a,b\n1,2\n1\n1,2,3\n')]);
    expect(reasons(r)).toEqual(['csv: expected 2 fields, got 1', 'csv: expected 2 fields, got 3']);
    expect(rowsOf(r)).toEqual([{ a: 1, b: 2 }]);
  });
});
