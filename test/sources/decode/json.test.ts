import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createDecoder, validateDecodeOptions, type FieldType, type Schema } from '../../../src/sources/decode/decoder.js';
import { JsonParseDecoder, JsonScanDecoder, MAX_JSON_DEPTH } from '../../../src/sources/decode/json.js';
import { bytes, cat, enc, randomValues, reasons, rowsOf, tableDecoder, typesOf } from './helpers.js';

const ALL: Schema = {
  u8: 'u8',
  i8: 'i8',
  u16: 'u16',
  i16: 'i16',
  u32: 'u32',
  i32: 'i32',
  u64: 'u64',
  i64: 'i64',
  f32: 'f32',
  f64: 'f64',
  bool: 'bool',
  utf8: 'utf8',
};

const scanner = (schema: Schema, extra: { maxMessageBytes?: number } = {}) => tableDecoder({ format: 'json', schema, ...extra });
const one = (schema: Schema, text: string | Uint8Array) => scanner(schema).decodeTable([typeof text === 'string' ? enc(text) : text]);

const STRINGS = ['', 'plain', 'é accentué', '€ euro', '😀 emoji', '中文字符', 'quote " and \\ backslash', 'tab\tnew\nline\r', '\u0000\u001f controls', '\u2028\u2029', 'a/b'];

describe('json with a schema (byte scanner)', () => {
  it('decodes many records of every type into typed Arrow columns with exact values', () => {
    const random = randomValues(7);
    const { rand, int } = random;
    const expected: Record<string, unknown>[] = [];
    const payloads: Uint8Array[] = [];
    for (let r = 0; r < 2000; r++) {
      const u64 = random.u64();
      const i64 = random.i64();
      const f64 = r % 3 === 0 ? (rand() - 0.5) * 10 ** int(-300, 300) : Math.round((rand() - 0.5) * 1e6) / 1000;
      const f32src = (rand() - 0.5) * 1000;
      const row = {
        ...random.ints(),
        u64,
        i64,
        f32: Math.fround(f32src),
        f64,
        bool: rand() < 0.5,
        utf8: STRINGS[r % STRINGS.length]! + r,
      };
      expected.push(row);
      const text = `{"u8":${row.u8},"i8":${row.i8},"u16":${row.u16},"i16":${row.i16},"u32":${row.u32},"i32":${row.i32},"u64":${u64},"i64":${i64},"f32":${f32src},"f64":${f64},"bool":${row.bool},"utf8":${JSON.stringify(row.utf8)}}`;
      payloads.push(enc(text));
    }
    const d = scanner(ALL).decodeTable(payloads);
    expect(d.malformed).toEqual([]);
    expect(d.records).toBe(2000);
    expect(typesOf(d.table)).toEqual({
      u8: 'Uint8',
      i8: 'Int8',
      u16: 'Uint16',
      i16: 'Int16',
      u32: 'Uint32',
      i32: 'Int32',
      u64: 'Uint64',
      i64: 'Int64',
      f32: 'Float32',
      f64: 'Float64',
      bool: 'Bool',
      utf8: 'Utf8',
    });
    expect(rowsOf(d)).toEqual(expected);
  });

  it('gives the same rows through decode() as a batch', () => {
    const r = createDecoder({ format: 'json', schema: { sensor: 'u32', value: 'f64' } }).decode([enc('{"sensor":1,"value":2.5}'), enc('{"sensor":2,"value":-1}')]);
    expect(r.records).toBe(2);
    expect(r.batch.count()).toBe(2);
    expect(r.batch.collect()).toEqual([
      { sensor: 1, value: 2.5 },
      { sensor: 2, value: -1 },
    ]);
  });

  it('keeps a key/value schema columnar for the kernels', () => {
    const r = createDecoder({ format: 'json', schema: { key: 'u32', value: 'f64' } }).decode([enc('{"key":7,"value":1.5}'), enc('{"value":2,"key":9}')]);
    expect(r.batch.columns?.[0]?.keys).toEqual({ kind: 'u32', data: Uint32Array.of(7, 9) });
    expect(r.batch.columns?.[0]?.values).toEqual({ kind: 'f64', data: Float64Array.of(1.5, 2) });
    expect(r.batch.collect()).toEqual([
      [7, 1.5],
      [9, 2],
    ]);
  });

  it('unescapes strings: short escapes, \\u escapes, surrogate pairs; lone surrogates become U+FFFD', () => {
    const cases: [string, string][] = [
      [String.raw`"a\"b\\c\/d\b\f\n\r\t"`, 'a"b\\c/d\b\f\n\r\t'],
      [String.raw`"\u00e9\u20AC\u4e2d"`, 'é€中'],
      [String.raw`"\ud83d\ude00 x"`, '😀 x'],
      [String.raw`"\uD83D\uDE00"`, '😀'],
      ['"raw é € 😀 中"', 'raw é € 😀 中'],
      [String.raw`"\ud800"`, '\ufffd'],
      [String.raw`"\udc00x"`, '\ufffdx'],
      [String.raw`"\ud800\u0041"`, '\ufffdA'],
      [String.raw`"\ud800\ud800\udc00"`, '\ufffd𐀀'],
      [String.raw`"\u0000"`, '\u0000'],
      ['""', ''],
    ];
    const d = scanner({ s: 'utf8' }).decodeTable(cases.map(([json]) => enc(`{"s":${json}}`)));
    expect(d.malformed).toEqual([]);
    expect(rowsOf(d).map((r) => r.s)).toEqual(cases.map(([, s]) => s));
    // The same as JSON.parse, once the string is encoded to UTF-8 (which is what a column holds).
    const viaParse = cases.map(([json]) => new TextDecoder().decode(enc(JSON.parse(json) as string)));
    expect(rowsOf(d).map((r) => r.s)).toEqual(viaParse);
  });

  it('takes whitespace, any key order, a BOM, CRLF and a trailing newline; skips unknown keys of any kind', () => {
    const schema: Schema = { a: 'i32', b: 'utf8', c: 'bool' };
    const texts = [
      ' \t{ "c" : true ,\r\n "b" : "x" , "a" : -5 }\r\n',
      '\ufeff{"a":1,"b":"y","c":false}\n',
      '{"skip":{"deep":[1,{"x":"}"},[],{}],"n":null},"a":2,"arr":[true,false,null,-1.5e-3,"\\"]"],"b":"z","c":true,"s":"\\u00e9"}',
      '{"b":"w","unknown":12345678901234567890123,"c":false,"a":3,"t":true,"f":false,"nul":null}',
    ];
    const d = scanner(schema).decodeTable(texts.map(enc));
    expect(reasons(d)).toEqual([]);
    expect(rowsOf(d)).toEqual([
      { a: -5, b: 'x', c: true },
      { a: 1, b: 'y', c: false },
      { a: 2, b: 'z', c: true },
      { a: 3, b: 'w', c: false },
    ]);
  });

  it('gives null for a missing field or a JSON null, and the last value for a repeated key', () => {
    const schema: Schema = { n: 'f64', s: 'utf8', b: 'bool', u: 'u64' };
    const d = scanner(schema).decodeTable(
      ['{}', '{"n":null,"s":null,"b":null,"u":null}', '{"s":"first","s":"second","n":1,"n":2}', '{"s":"gone","s":null,"b":true,"b":false}', '{"u":5}'].map(enc),
    );
    expect(reasons(d)).toEqual([]);
    expect(rowsOf(d)).toEqual([
      { n: null, s: null, b: null, u: null },
      { n: null, s: null, b: null, u: null },
      { n: 2, s: 'second', b: null, u: null },
      { n: null, s: null, b: false, u: null },
      { n: null, s: null, b: null, u: 5n },
    ]);
    expect(d.table!.getChild('u')!.nullCount).toBe(4);
  });

  // As JSON.parse: the last value of a repeated key is the one checked against the schema
  // (a property test found the scanner rejecting a record for a value that JSON.parse drops).
  it('checks only the last value of a repeated key against the field type', () => {
    const schema: Schema = { n: 'f64', s: 'utf8', b: 'bool', i: 'u8' };
    const d = scanner(schema).decodeTable(
      ['{"n":"text","n":1.5}', '{"s":7,"s":"ok","b":[true],"b":true}', '{"i":300,"i":3}', '{"n":1.5,"n":"text"}', '{"i":3,"i":300}', '{"n":NaN,"n":1}'].map(enc),
    );
    expect(rowsOf(d)).toEqual([
      { n: 1.5, s: null, b: null, i: null },
      { n: null, s: 'ok', b: true, i: null },
      { n: null, s: null, b: null, i: 3 },
    ]);
    expect(reasons(d)).toEqual([
      'json: expected number for "n" at byte 13',
      'json: 300 out of range for u8 "i" at byte 11',
      'json: expected number for "n" at byte 5', // not JSON at all: malformed whatever follows
    ]);
  });

  it('parses numbers exactly: negative, zero, -0, exponents, long and tiny values, integers in any notation', () => {
    const texts = ['0', '-0', '1e3', '-1.5E+2', '0.1', '123456789012345678', '3.141592653589793238462643', '1e-320', '1.7976931348623157e308', '1e400', '-2.5e-5', '9007199254740993'];
    const d = scanner({ v: 'f64' }).decodeTable(texts.map((t) => enc(`{"v":${t}}`)));
    expect(reasons(d)).toEqual([]);
    const got = rowsOf(d).map((r) => r.v as number);
    const want = texts.map((t) => JSON.parse(t) as number);
    expect(got).toEqual(want);
    expect(Object.is(got[1], -0)).toBe(true);

    const ints = scanner({ i: 'i32', u: 'u32' }).decodeTable(['{"i":1e3,"u":2.0}', '{"i":-2147483648,"u":4294967295}', '{"i":-0,"u":-0}', '{"i":-1.5e1,"u":0.5e1}'].map(enc));
    expect(reasons(ints)).toEqual([]);
    expect(rowsOf(ints)).toEqual([
      { i: 1000, u: 2 },
      { i: -2147483648, u: 4294967295 },
      { i: 0, u: 0 },
      { i: -15, u: 5 },
    ]);
  });

  it('reads 64-bit integers exactly, beyond 2^53, into bigint columns', () => {
    const d = scanner({ u: 'u64', i: 'i64' }).decodeTable(
      ['{"u":18446744073709551615,"i":-9223372036854775808}', '{"u":9007199254740993,"i":9223372036854775807}', '{"u":0,"i":-1}', '{"u":1e3,"i":-2.5e1}'].map(enc),
    );
    expect(reasons(d)).toEqual([]);
    expect(rowsOf(d)).toEqual([
      { u: 18446744073709551615n, i: -9223372036854775808n },
      { u: 9007199254740993n, i: 9223372036854775807n },
      { u: 0n, i: -1n },
      { u: 1000n, i: -25n },
    ]);
  });

  it('stores f32 fields rounded to float32', () => {
    const d = scanner({ f: 'f32' }).decodeTable(['{"f":0.1}', '{"f":16777217}', '{"f":-3.4e38}'].map(enc));
    expect(rowsOf(d).map((r) => r.f)).toEqual([Math.fround(0.1), 16777216, Math.fround(-3.4e38)]);
  });

  describe('malformed records, each with its reason', () => {
    const schema: Schema = { value: 'f64', ok: 'bool', name: 'utf8', level: 'u8', u: 'u64', i: 'i64' };
    const cases: [string, string | Uint8Array, string][] = [
      ['a string for a number', '{"value":"x"}', 'json: expected number for "value" at byte 9'],
      ['a number for a bool', '{"ok":1}', 'json: expected boolean for "ok" at byte 6'],
      ['a number for a string', '{"name":5}', 'json: expected string for "name" at byte 8'],
      ['an object for a number', '{"value":{"a":1}}', 'json: expected number for "value" at byte 9'],
      ['out of range', '{"level":300}', 'json: 300 out of range for u8 "level" at byte 9'],
      ['negative for unsigned', '{"level":-1}', 'json: -1 out of range for u8 "level" at byte 9'],
      ['a fraction for an integer', '{"level":1.5}', 'json: expected an integer for "level" at byte 9, got 1.5'],
      ['u64 overflow', '{"u":18446744073709551616}', 'json: 18446744073709551616 out of range for u64 "u" at byte 5'],
      ['i64 overflow', '{"i":9223372036854775808}', 'json: 9223372036854775808 out of range for i64 "i" at byte 5'],
      ['i64 fraction', '{"i":2.5}', 'json: expected an integer for "i" at byte 5, got 2.5'],
      ['truncated', '{"value":1', 'json: unexpected end of input at byte 10'],
      ['truncated in a string', '{"name":"abc', 'json: unexpected end of input at byte 12'],
      ['trailing comma', '{"value":1,}', "json: expected a key string at byte 11, found '}'"],
      ['missing colon', '{"value" 1}', "json: expected ':' at byte 9, found '1'"],
      ['unquoted key', '{value:1}', "json: expected a key string at byte 1, found 'v'"],
      ['leading zero', '{"value":01}', "json: expected ',' or '}' at byte 10, found '1'"],
      ['lone minus', '{"value":-}', 'json: invalid number at byte 9'],
      ['dot without digits', '{"value":1.}', 'json: invalid number at byte 9'],
      ['exponent without digits', '{"value":1e}', 'json: invalid number at byte 9'],
      ['NaN', '{"value":NaN}', 'json: expected number for "value" at byte 9'],
      ['bad literal', '{"ok":tru}', 'json: invalid literal at byte 6'],
      ['bad escape', '{"name":"\\q"}', 'json: invalid escape at byte 9'],
      ['bad \\u escape', '{"name":"\\u12G4"}', 'json: invalid \\u escape at byte 9'],
      ['raw control character', '{"name":"a\tb"}', 'json: unescaped control character in a string at byte 10'],
      ['trailing garbage', '{"value":1} x', "json: unexpected 'x' after the object at byte 12"],
      ['two objects', '{"value":1}{"value":2}', "json: unexpected '{' after the object at byte 11"],
      ['an array', '[1,2]', "json: expected an object at byte 0, found '['"],
      ['a number', '42', "json: expected an object at byte 0, found '4'"],
      ['empty payload', '', 'json: unexpected end of input at byte 0'],
      ['only whitespace', ' \r\n', 'json: unexpected end of input at byte 3'],
      ['broken skipped value', '{"x":[1,2,"value":3}', "json: expected ',' or ']' at byte 17, found ':'"],
      ['invalid UTF-8 in a string', cat(enc('{"name":"'), bytes(0xff), enc('"}')), 'json: invalid UTF-8 at byte 9'],
      ['invalid UTF-8 in a skipped key', cat(enc('{"'), bytes(0xc3, 0x28), enc('":1}')), 'json: invalid UTF-8 at byte 2'],
      ['overlong encoding in a skipped value', cat(enc('{"x":"'), bytes(0xc0, 0xaf), enc('"}')), 'json: invalid UTF-8 at byte 6'],
      ['an encoded surrogate', cat(enc('{"name":"'), bytes(0xed, 0xa0, 0x80), enc('"}')), 'json: invalid UTF-8 at byte 9'],
      ['a cut sequence', cat(enc('{"name":"'), bytes(0xe2, 0x82), enc('"}')), 'json: invalid UTF-8 at byte 9'],
      ['invalid UTF-8 outside strings', cat(enc('{"value":1'), bytes(0xa0), enc('}')), "json: expected ',' or '}' at byte 10, found 0xa0"],
    ];
    it.each(cases)('%s', (_, text, reason) => {
      const raw = typeof text === 'string' ? enc(text) : text;
      const d = scanner(schema).decodeTable([raw]);
      expect(reasons(d)).toEqual([reason]);
      expect(d.malformed[0]!.raw).toBe(raw);
      expect(d.records).toBe(0);
    });

    it('nesting deeper than the limit in a skipped value', () => {
      const text = `{"x":${'['.repeat(600)}${']'.repeat(600)},"value":1}`;
      expect(reasons(one(schema, text))).toEqual([`json: nesting deeper than ${MAX_JSON_DEPTH} at byte ${5 + MAX_JSON_DEPTH}`]);
      const ok = `{"x":${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)},"value":1}`;
      expect(rowsOf(one(schema, ok))[0]!.value).toBe(1);
    });

    it('oversize payloads, checked before parsing', () => {
      const d = scanner({ v: 'f64' }, { maxMessageBytes: 20 }).decodeTable([enc('{"v":1}'), enc(`{"v":1${' '.repeat(14)}}`), enc(`{"v":${'1'.repeat(14)}}`)]);
      expect(reasons(d)).toEqual(['oversize: 21 bytes > 20']);
      expect(rowsOf(d)).toEqual([{ v: 1 }, { v: 11111111111111 }]);
    });
  });

  it('leaves no trace of a malformed record in the rows around it', () => {
    const schema: Schema = { name: 'utf8', value: 'f64', ok: 'bool' };
    const d = scanner(schema).decodeTable(
      ['{"name":"first","value":1,"ok":true}', '{"name":"a long string written before the error","ok":true,"value":"oops"}', '{"value":2}', '{"ok":false,"name":"x","value":[]}', '{"name":"last"}'].map(enc),
    );
    expect(reasons(d)).toEqual(['json: expected number for "value" at byte 67', 'json: expected number for "value" at byte 31']);
    expect(rowsOf(d)).toEqual([
      { name: 'first', value: 1, ok: true },
      { name: null, value: 2, ok: null },
      { name: 'last', value: null, ok: null },
    ]);
  });

  it('matches keys with escapes and non-ASCII names', () => {
    const schema: Schema = { 'tempé': 'f64', 'a"b': 'i32', 'x\\y': 'utf8' };
    const d = scanner(schema).decodeTable(['{"temp\\u00e9":1.5,"a\\"b":2,"x\\\\y":"z"}', '{"tempé":3,"a\\u0022b":4}'].map(enc));
    expect(reasons(d)).toEqual([]);
    expect(rowsOf(d)).toEqual([
      { 'tempé': 1.5, 'a"b': 2, 'x\\y': 'z' },
      { 'tempé': 3, 'a"b': 4, 'x\\y': null },
    ]);
    // A raw quote ends the key: "a" is not the field a"b.
    expect(reasons(one(schema, '{"a"b":1}'))).toEqual(["json: expected ':' at byte 4, found 'b'"]);
  });

  it('decodes an empty list of payloads to an empty batch', () => {
    const d = scanner({ v: 'f64' }).decodeTable([]);
    expect(d.records).toBe(0);
    expect(d.table!.numRows).toBe(0);
    const r = createDecoder({ format: 'json', schema: { v: 'f64' } }).decode([]);
    expect(r.batch.count()).toBe(0);
    expect(r.batch.collect()).toEqual([]);
    expect(r.malformed).toEqual([]);
  });
});

describe('json without a schema (JSON.parse, inferred schema)', () => {
  it('infers the schema from the first record and keeps it across batches', () => {
    const d = tableDecoder({ format: 'json' });
    const first = d.decodeTable(['{"n":1.5,"s":"x","b":true,"o":{"k":[1,2]},"a":[1,"2"],"z":null}', '{"n":-2,"s":"y","b":false,"o":"str","a":7,"z":{"q":1}}'].map(enc));
    expect(typesOf(first.table)).toEqual({ n: 'Float64', s: 'Utf8', b: 'Bool', o: 'Utf8', a: 'Utf8', z: 'Utf8' });
    expect(rowsOf(first)).toEqual([
      { n: 1.5, s: 'x', b: true, o: '{"k":[1,2]}', a: '[1,"2"]', z: null },
      { n: -2, s: 'y', b: false, o: 'str', a: '7', z: '{"q":1}' },
    ]);
    // Later batches keep the schema: other keys are ignored, missing ones are null.
    const second = d.decodeTable(['{"other":1,"n":3}', '{"s":"é😀","extra":true}'].map(enc));
    expect(typesOf(second.table)).toEqual(typesOf(first.table));
    expect(rowsOf(second)).toEqual([
      { n: 3, s: null, b: null, o: null, a: null, z: null },
      { n: null, s: 'é😀', b: null, o: null, a: null, z: null },
    ]);
  });

  it('makes records of the wrong type, broken JSON, non-objects and invalid UTF-8 malformed', () => {
    const d = tableDecoder({ format: 'json' });
    d.decodeTable([enc('{"n":1,"b":true}')]);
    const broken = '{"n":1,';
    let parseMessage = '';
    try {
      JSON.parse(broken);
    } catch (e) {
      parseMessage = (e as Error).message;
    }
    const r = d.decodeTable([enc('{"n":"one"}'), enc('{"b":1}'), enc(broken), enc('[1]'), enc('null'), enc('"s"'), bytes(0x7b, 0xff, 0x7d), enc('{"n":2}\n')]);
    expect(reasons(r)).toEqual([
      'json: expected number for "n", got a string',
      'json: expected boolean for "b", got a number',
      `json: ${parseMessage}`,
      'json: expected an object, got an array',
      'json: expected an object, got null',
      'json: expected an object, got a string',
      'json: invalid UTF-8 at byte 1',
    ]);
    expect(rowsOf(r)).toEqual([{ n: 2, b: null }]);
  });

  it('does not take inherited members for fields', () => {
    const d = tableDecoder({ format: 'json' });
    const r = d.decodeTable(['{"toString":1,"__proto__":"p","constructor":"c"}', '{}'].map(enc));
    expect(rowsOf(r)).toEqual([
      { toString: 1, __proto__: 'p', constructor: 'c' },
      { toString: null, __proto__: null, constructor: null },
    ].map((o) => JSON.parse(JSON.stringify(o)) as Record<string, unknown>));
  });

  it('counts {} records before the first record with a key as rows of nulls', () => {
    const d = tableDecoder({ format: 'json' });
    const only = d.decodeTable([enc('{}'), enc('{ }')]);
    expect(only.records).toBe(2);
    expect(rowsOf(only)).toEqual([{}, {}]);
    const r = d.decodeTable([enc('{}'), enc('{"a":1}')]);
    expect(rowsOf(r)).toEqual([{ a: null }, { a: 1 }]);
    expect(createDecoder({ format: 'json' }).decode([]).batch.count()).toBe(0);
  });
});

// ------------------------------------------------------------------ property: scanner = JSON.parse

const FIELD_TYPES: FieldType[] = ['u8', 'i8', 'u16', 'i16', 'u32', 'i32', 'u64', 'i64', 'f32', 'f64', 'bool', 'utf8'];

/** A string with any code points, lone surrogates included. */
const anyString = fc.string({
  unit: fc.oneof(
    { weight: 6, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
    { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)) },
    { weight: 2, arbitrary: fc.constantFrom('"', '\\', '\n', '\u0000', '/', '\u2028') },
  ),
  maxLength: 12,
});

function valueOf(type: FieldType): fc.Arbitrary<unknown> {
  switch (type) {
    case 'u8':
      return fc.integer({ min: 0, max: 255 });
    case 'i8':
      return fc.integer({ min: -128, max: 127 });
    case 'u16':
      return fc.integer({ min: 0, max: 65535 });
    case 'i16':
      return fc.integer({ min: -32768, max: 32767 });
    case 'u32':
      return fc.integer({ min: 0, max: 0xffffffff });
    case 'i32':
      return fc.integer({ min: -0x80000000, max: 0x7fffffff });
    // JSON.parse reads numbers as doubles: safe integers are where it is exact.
    case 'u64':
      return fc.maxSafeNat();
    case 'i64':
      return fc.maxSafeInteger();
    case 'f32':
    case 'f64':
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    case 'bool':
      return fc.boolean();
    case 'utf8':
      return anyString;
  }
}

const schemaArb = fc
  .uniqueArray(fc.tuple(fc.oneof(fc.constantFrom('a', 'b', 'value', 'é', 'k"q', 'x\\y'), fc.string({ minLength: 1, maxLength: 6 })), fc.constantFrom(...FIELD_TYPES)), {
    minLength: 1,
    maxLength: 6,
    selector: ([name]) => name,
  })
  .filter((fields) => fields.every(([name]) => name !== '__proto__'))
  .map((fields) => Object.fromEntries(fields) as Schema);

/** JSON text of a flat object matching the schema (fields missing or null at random), unknown keys mixed in. */
function recordArb(schema: Schema): fc.Arbitrary<string> {
  const fields = Object.entries(schema).map(([name, type]) =>
    fc.oneof({ weight: 8, arbitrary: valueOf(type).map((v) => [name, v] as const) }, { weight: 1, arbitrary: fc.constant([name, null] as const) }, { weight: 1, arbitrary: fc.constant(undefined) }),
  );
  const extra = fc.array(
    fc.tuple(
      fc.string({ maxLength: 5 }).filter((k) => !(k in schema)),
      fc.jsonValue({ maxDepth: 2 }),
    ),
    { maxLength: 3 },
  );
  return fc.tuple(fc.tuple(...fields), extra, fc.constantFrom(undefined, 0, 1, '\t', ' \r\n'), fc.boolean()).chain(([present, more, indent, newline]) => {
    const entries: [string, unknown][] = [...(present.filter((p) => p !== undefined) as [string, unknown][]), ...more];
    return fc.shuffledSubarray(entries, { minLength: entries.length, maxLength: entries.length }).map((shuffled) => {
      // Serialise by hand, so key order (even of integer-like keys) is the shuffled order.
      const sep = indent === undefined || indent === 0 ? '' : typeof indent === 'number' ? '\n ' : indent;
      const body = shuffled.map(([k, v]) => `${sep}${JSON.stringify(k)}${sep ? ' : ' : ':'}${JSON.stringify(v) ?? 'null'}`).join(',');
      return `{${body}${sep}}${newline ? '\n' : ''}`;
    });
  });
}

describe('property: the scanner agrees with JSON.parse', () => {
  it('on random flat objects matching a schema', () => {
    fc.assert(
      fc.property(
        schemaArb.chain((schema) => fc.tuple(fc.constant(schema), fc.array(recordArb(schema), { minLength: 1, maxLength: 20 }))),
        ([schema, texts]) => {
          const options = validateDecodeOptions({ format: 'json', schema });
          const payloads = texts.map(enc);
          const scanned = new JsonScanDecoder(options, schema).decodeTable(payloads);
          const parsed = new JsonParseDecoder(options, schema).decodeTable(payloads);
          expect(reasons(scanned)).toEqual([]);
          expect(reasons(parsed)).toEqual([]);
          const rows = rowsOf(scanned);
          expect(rows).toEqual(rowsOf(parsed));
          // And both equal JSON.parse's values, typed as the schema says.
          const expected = texts.map((t) => {
            const o = JSON.parse(t) as Record<string, unknown>;
            return Object.fromEntries(
              Object.entries(schema).map(([name, type]) => {
                const v = Object.hasOwn(o, name) ? o[name] : null;
                if (v === null) return [name, null];
                if (type === 'u64' || type === 'i64') return [name, BigInt(v as number)];
                if (type === 'f32') return [name, Math.fround(v as number)];
                if (type === 'utf8') return [name, new TextDecoder().decode(enc(v as string))];
                if (type !== 'f64' && type !== 'bool') return [name, (v as number) + 0]; // -0 is 0 in an integer column
                return [name, v];
              }),
            );
          });
          expect(rows).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('on the same objects with a byte changed: malformed for one exactly when for the other', () => {
    fc.assert(
      fc.property(
        schemaArb.chain((schema) => fc.tuple(fc.constant(schema), recordArb(schema), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('replace', 'insert', 'delete'))),
        ([schema, text, at, byte, edit]) => {
          const good = enc(text);
          const k = at % (good.length + 1);
          const raw =
            edit === 'delete' ? cat(good.subarray(0, k), good.subarray(k + 1)) : cat(good.subarray(0, k), bytes(byte), good.subarray(edit === 'insert' ? k : k + 1));
          const options = validateDecodeOptions({ format: 'json', schema });
          const scanned = new JsonScanDecoder(options, schema).decodeTable([raw]);
          const parsed = new JsonParseDecoder(options, schema).decodeTable([raw]);
          expect(scanned.records).toBe(parsed.records);
          // A changed digit may push a 64-bit integer past 2^53, where the scanner is exact and
          // JSON.parse rounds: rounding the scanner's value must give JSON.parse's.
          const rounded = (d: typeof scanned) =>
            rowsOf(d).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? BigInt(Number(v)) : v])));
          if (scanned.records === 1) expect(rounded(scanned)).toEqual(rounded(parsed));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
