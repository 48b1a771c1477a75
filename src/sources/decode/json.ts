/**
 * Format 'json': each payload is one JSON object (a trailing newline is fine).
 *
 * With a schema, {@link JsonScanDecoder} scans the UTF-8 bytes and writes each field straight
 * into its Arrow column: no string, object or number is made per record (except bigints for
 * 64-bit fields). Keys are matched to the schema's fields by their bytes; other keys are
 * skipped, whatever their value (nested objects and arrays included, which are still checked to
 * be valid JSON). A missing field or a JSON `null` gives a null; a value of another type, broken
 * JSON or bytes after the object make the record malformed.
 *
 * Without a schema, {@link JsonParseDecoder} runs `JSON.parse` per record and infers the
 * schema from the first record that has a key: numbers → f64, booleans → bool, strings → utf8,
 * anything else (objects, arrays, null) → utf8 holding its JSON text. The schema is then kept
 * for every later record and batch. Give a schema for speed: the scanner is several times
 * faster (see bench/decode.bench.ts).
 */
import { Kind, makeColumns, tableOf, toDecoded, type BoolColumn, type Column, type Utf8Column } from './builders.js';
import type { Decoded, DecodedTable, Decoder, FieldType, ResolvedDecodeOptions, Schema } from './decoder.js';
import { MalformedList, RecordError, showByte } from './malformed.js';
import { NOT_INTEGER, OUT_OF_RANGE, POW10, STORED, fastDecimal, latin1, storeJsNumber, storeNumber } from './numbers.js';
import { firstInvalidUtf8, utf8SequenceLength } from './utf8.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

/** Deepest nesting of a skipped value (JSON.parse goes deeper; real records do not). */
export const MAX_JSON_DEPTH = 512;

const TRUE = Uint8Array.from([0x74, 0x72, 0x75, 0x65]);
const FALSE = Uint8Array.from([0x66, 0x61, 0x6c, 0x73, 0x65]);
const NULL = Uint8Array.from([0x6e, 0x75, 0x6c, 0x6c]);

const FIELD_STATE_MISSING = 0;
const FIELD_STATE_VALUE = 1;
const FIELD_STATE_NULL = 2;
/** A value that does not fit the field's type: the record is malformed unless a later duplicate of the key replaces it. */
const FIELD_STATE_BAD = 3;

const encoder = new TextEncoder();
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x61 + 10 : -1;
}

function hasBom(buf: Uint8Array): boolean {
  return buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf;
}

function typeNoun(type: FieldType): string {
  return type === 'utf8' ? 'string' : type === 'bool' ? 'boolean' : 'number';
}

/** The byte-level scanner: flat JSON objects into the columns of a schema. */
export class JsonScanDecoder<T = unknown> implements Decoder<T> {
  readonly format = 'json' as const;
  private readonly names: readonly string[];
  private readonly types: readonly FieldType[];
  private readonly nameBytes: readonly Uint8Array[];
  private readonly plainName: Uint8Array;
  private readonly byName: ReadonlyMap<string, number>;
  private readonly nf: number;
  private readonly state: Uint8Array;
  /** Why each field in FIELD_STATE_BAD is bad. */
  private readonly badReason: string[] = [];
  private cols: Column[] = [];
  /** The field tried first for the next key: the one after the last matched. */
  private hint = 0;
  /** Set by {@link number}: the value and whether the literal had no fraction or exponent. */
  private num = 0;
  private numIsInt = false;
  /** Set by {@link keyIndex}: the offset after the key's closing quote. */
  private pos = 0;
  /** Scratch for the rare escaped key. */
  private scratch = new Uint8Array(64);

  constructor(
    private readonly options: ResolvedDecodeOptions,
    private readonly schema: Schema,
  ) {
    this.names = Object.keys(schema);
    this.types = Object.values(schema);
    this.nameBytes = this.names.map((n) => encoder.encode(n));
    // Names that appear in JSON as their bytes (no character that must be escaped).
    this.plainName = Uint8Array.from(this.names, (n) => (JSON.stringify(n) === `"${n}"` ? 1 : 0));
    this.byName = new Map(this.names.map((n, i) => [n, i]));
    this.nf = this.names.length;
    this.state = new Uint8Array(this.nf);
  }

  decode(payloads: readonly Uint8Array[]): Decoded<T> {
    return toDecoded<T>(this.decodeTable(payloads));
  }

  /** Decodes the payloads of one batch into an Arrow table. */
  decodeTable(payloads: readonly Uint8Array[]): DecodedTable {
    const malformed = new MalformedList(this.options.onMalformed);
    const max = this.options.maxMessageBytes;
    const cols = makeColumns(this.schema, payloads.length);
    this.cols = cols;
    let row = 0;
    try {
      for (let p = 0; p < payloads.length; p++) {
        const buf = payloads[p]!;
        if (buf.length > max) {
          malformed.add(buf, `oversize: ${buf.length} bytes > ${max}`);
          continue;
        }
        try {
          this.scan(buf, row);
        } catch (e) {
          if (e instanceof RecordError) {
            malformed.add(buf, e.reason);
            continue;
          }
          throw e;
        }
        this.commit(row);
        row++;
      }
    } finally {
      this.cols = [];
    }
    return { table: tableOf(cols, row), records: row, malformed: malformed.items };
  }

  private commit(row: number): void {
    const state = this.state;
    const cols = this.cols;
    for (let f = 0; f < this.nf; f++) {
      const col = cols[f]!;
      if (state[f] === FIELD_STATE_VALUE) {
        if (col.kind === Kind.Utf8) (col as Utf8Column).commit(row);
      } else col.setNull(row);
    }
  }

  /** Scans one record into row `row` of the columns; throws RecordError when malformed. */
  private scan(buf: Uint8Array, row: number): void {
    const n = buf.length;
    const state = this.state;
    for (let f = 0; f < this.nf; f++) state[f] = FIELD_STATE_MISSING;
    let i = ws(buf, hasBom(buf) ? 3 : 0, n);
    if (buf[i] !== LBRACE) {
      throw new RecordError(i >= n ? `json: unexpected end of input at byte ${n}` : `json: expected an object at byte ${i}, found ${showByte(buf[i])}`);
    }
    i = ws(buf, i + 1, n);
    if (buf[i] === RBRACE) i++;
    else {
      for (;;) {
        if (buf[i] !== QUOTE) throw expected('a key string', buf, i);
        const f = this.keyIndex(buf, i, n);
        i = ws(buf, this.pos, n);
        if (buf[i] !== COLON) throw expected("':'", buf, i);
        i = ws(buf, i + 1, n);
        i = f < 0 ? this.skipValue(buf, i, n, 0) : this.value(f, buf, i, n, row);
        i = ws(buf, i, n);
        const c = buf[i];
        if (c === COMMA) {
          i = ws(buf, i + 1, n);
          continue;
        }
        if (c === RBRACE) {
          i++;
          break;
        }
        throw expected("',' or '}'", buf, i);
      }
    }
    i = ws(buf, i, n);
    if (i < n) throw new RecordError(`json: unexpected ${showByte(buf[i])} after the object at byte ${i}`);
    // As JSON.parse, the last of duplicate keys wins: a bad value counts only if nothing replaced it.
    for (let f = 0; f < this.nf; f++) if (state[f] === FIELD_STATE_BAD) throw new RecordError(this.badReason[f]!);
  }

  /** Field `f` holds a value that does not fit its type, for `reason`, unless a later duplicate key replaces it. */
  private markBad(f: number, reason: string): void {
    this.state[f] = FIELD_STATE_BAD;
    this.badReason[f] = reason;
  }

  /**
   * Field `f`'s value at `i` does not fit its type (`reason`): marks the field bad and skips the
   * value (which must still be valid JSON); returns the offset after it.
   */
  private badValue(f: number, reason: RecordError, buf: Uint8Array, i: number, n: number): number {
    this.markBad(f, reason.reason);
    try {
      return this.skipValue(buf, i, n, 0);
    } catch (e) {
      // Not JSON either (`NaN`, a bare word): the field's expected type says most.
      if (e instanceof RecordError) throw reason;
      throw e;
    }
  }

  /** The schema field of the key string at `i` (-1 when none); sets `pos` after it. */
  private keyIndex(buf: Uint8Array, i: number, n: number): number {
    const start = i + 1;
    // Fast path: the expected field, its name's bytes followed by the closing quote.
    const h = this.hint;
    const hb = this.nameBytes[h]!;
    const hl = hb.length;
    if (this.plainName[h] === 1 && start + hl < n && buf[start + hl] === QUOTE) {
      let k = 0;
      while (k < hl && hb[k] === buf[start + k]) k++;
      if (k === hl) {
        this.pos = start + hl + 1;
        this.hint = h + 1 === this.nf ? 0 : h + 1;
        return h;
      }
    }
    let j = start;
    for (;;) {
      if (j >= n) throw new RecordError(`json: unexpected end of input at byte ${n}`);
      const c = buf[j]!;
      if (c === QUOTE) break;
      if (c === BACKSLASH) return this.escapedKeyIndex(buf, i, n);
      if (c < 0x20) throw controlChar(j);
      if (c < 0x80) j++;
      else {
        const len = utf8SequenceLength(buf, j, n);
        if (len < 0) throw invalidUtf8(j);
        j += len;
      }
    }
    this.pos = j + 1;
    const len = j - start;
    const nb = this.nameBytes;
    const nf = this.nf;
    let f = this.hint;
    for (let t = 0; t < nf; t++) {
      const b = nb[f]!;
      if (b.length === len) {
        let k = 0;
        while (k < len && b[k] === buf[start + k]) k++;
        if (k === len) {
          this.hint = f + 1 === nf ? 0 : f + 1;
          return f;
        }
      }
      f = f + 1 === nf ? 0 : f + 1;
    }
    return -1;
  }

  /** A key with escapes: unescaped into scratch, decoded, looked up by name. */
  private escapedKeyIndex(buf: Uint8Array, i: number, n: number): number {
    if (this.scratch.length < n) this.scratch = new Uint8Array(n);
    const end = unescapeString(buf, i, n, this.scratch, 0);
    this.pos = end;
    return this.byName.get(utf8.decode(this.scratch.subarray(0, written))) ?? -1;
  }

  /** Parses the value at `i` into field `f` of row `row`; returns the offset after it. */
  private value(f: number, buf: Uint8Array, i: number, n: number, row: number): number {
    const c = buf[i];
    const col = this.cols[f]!;
    if (c === NULL[0]) {
      i = literal(buf, i, n, NULL);
      this.state[f] = FIELD_STATE_NULL;
      return i;
    }
    switch (col.kind) {
      case Kind.Bool:
        if (c === TRUE[0]) {
          i = literal(buf, i, n, TRUE);
          (col as BoolColumn).set(row, true);
        } else if (c === FALSE[0]) {
          i = literal(buf, i, n, FALSE);
          (col as BoolColumn).set(row, false);
        } else return this.badValue(f, this.typeError(f, buf, i), buf, i, n);
        break;
      case Kind.Utf8: {
        if (c !== QUOTE) return this.badValue(f, this.typeError(f, buf, i), buf, i, n);
        const u = col as Utf8Column;
        const at = u.start(row);
        const out = u.reserve(at, n - i);
        i = unescapeString(buf, i, n, out, at);
        u.end = at + written;
        break;
      }
      default: {
        if (c !== MINUS && !(c! >= ZERO && c! <= NINE)) return this.badValue(f, this.typeError(f, buf, i), buf, i, n);
        const start = i;
        i = this.number(buf, i, n);
        const code = storeNumber(col, row, this.num, this.numIsInt, buf, start, i);
        if (code !== STORED) {
          const text = latin1(buf, start, i);
          this.markBad(
            f,
            code === NOT_INTEGER
              ? `json: expected an integer for "${this.names[f]}" at byte ${start}, got ${text}`
              : `json: ${text} out of range for ${this.types[f]} "${this.names[f]}" at byte ${start}`,
          );
          return i;
        }
      }
    }
    this.state[f] = FIELD_STATE_VALUE;
    return i;
  }

  private typeError(f: number, buf: Uint8Array, i: number): RecordError {
    if (i >= buf.length) return new RecordError(`json: unexpected end of input at byte ${buf.length}`);
    return new RecordError(`json: expected ${typeNoun(this.types[f]!)} for "${this.names[f]}" at byte ${i}`);
  }

  /** A JSON number at `i` (strict grammar) into `num`; returns the offset after it. */
  private number(buf: Uint8Array, i: number, n: number): number {
    let j = i;
    let neg = false;
    if (buf[j] === MINUS) {
      neg = true;
      j++;
    }
    let c = buf[j]!;
    // The mantissa's digits accumulate in int chunks of 9 (integer arithmetic is much faster than
    // a chain of double multiply-adds); `hi` holds the chunks before the current one. The same
    // loop as numbers.ts's scanMantissa, kept here on purpose: unbounded (the payload ends the
    // scan) and with JSON's grammar checks in line, it decodes records 5–9% faster than calling
    // scanMantissa and checking after (bench/decode.bench.ts).
    let hi = 0;
    let lo = 0;
    let ld = 0;
    let digits = 0;
    let exp10 = 0;
    let isInt = true;
    if (c === ZERO) c = buf[++j]!;
    else if (c > ZERO && c <= NINE) {
      do {
        lo = lo * 10 + (c - ZERO);
        if (++ld === 9) {
          hi = hi * 1e9 + lo;
          lo = 0;
          ld = 0;
        }
        digits++;
        c = buf[++j]!;
      } while (c >= ZERO && c <= NINE);
    } else throw invalidNumber(buf, i, j);
    if (c === DOT) {
      isInt = false;
      c = buf[++j]!;
      if (!(c >= ZERO && c <= NINE)) throw invalidNumber(buf, i, j);
      do {
        lo = lo * 10 + (c - ZERO);
        if (++ld === 9) {
          hi = hi * 1e9 + lo;
          lo = 0;
          ld = 0;
        }
        digits++;
        exp10--;
        c = buf[++j]!;
      } while (c >= ZERO && c <= NINE);
    }
    if (c === 0x65 || c === 0x45) {
      isInt = false;
      c = buf[++j]!;
      let eneg = false;
      if (c === PLUS || c === MINUS) {
        eneg = c === MINUS;
        c = buf[++j]!;
      }
      if (!(c >= ZERO && c <= NINE)) throw invalidNumber(buf, i, j);
      let e = 0;
      do {
        if (e < 100000) e = e * 10 + (c - ZERO);
        c = buf[++j]!;
      } while (c >= ZERO && c <= NINE);
      exp10 += eneg ? -e : e;
    }
    let v = fastDecimal(hi * POW10[ld]! + lo, digits, exp10);
    if (v !== v) v = Number(latin1(buf, neg ? i + 1 : i, j));
    this.num = neg ? -v : v;
    this.numIsInt = isInt;
    return j;
  }

  /** Skips (and checks) any JSON value at `i`; returns the offset after it. */
  private skipValue(buf: Uint8Array, i: number, n: number, depth: number): number {
    const c = buf[i];
    switch (c) {
      case QUOTE:
        return skipString(buf, i, n);
      case LBRACE: {
        if (depth >= MAX_JSON_DEPTH) throw new RecordError(`json: nesting deeper than ${MAX_JSON_DEPTH} at byte ${i}`);
        i = ws(buf, i + 1, n);
        if (buf[i] === RBRACE) return i + 1;
        for (;;) {
          if (buf[i] !== QUOTE) throw expected('a key string', buf, i);
          i = ws(buf, skipString(buf, i, n), n);
          if (buf[i] !== COLON) throw expected("':'", buf, i);
          i = ws(buf, this.skipValue(buf, ws(buf, i + 1, n), n, depth + 1), n);
          if (buf[i] === COMMA) i = ws(buf, i + 1, n);
          else if (buf[i] === RBRACE) return i + 1;
          else throw expected("',' or '}'", buf, i);
        }
      }
      case LBRACKET: {
        if (depth >= MAX_JSON_DEPTH) throw new RecordError(`json: nesting deeper than ${MAX_JSON_DEPTH} at byte ${i}`);
        i = ws(buf, i + 1, n);
        if (buf[i] === RBRACKET) return i + 1;
        for (;;) {
          i = ws(buf, this.skipValue(buf, i, n, depth + 1), n);
          if (buf[i] === COMMA) i = ws(buf, i + 1, n);
          else if (buf[i] === RBRACKET) return i + 1;
          else throw expected("',' or ']'", buf, i);
        }
      }
      case 0x74:
        return literal(buf, i, n, TRUE);
      case 0x66:
        return literal(buf, i, n, FALSE);
      case 0x6e:
        return literal(buf, i, n, NULL);
      default:
        if (c === MINUS || (c! >= ZERO && c! <= NINE)) return this.number(buf, i, n);
        throw expected('a value', buf, i);
    }
  }
}

function ws(buf: Uint8Array, i: number, n: number): number {
  while (i < n) {
    const c = buf[i]!;
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    i++;
  }
  return i;
}

function expected(what: string, buf: Uint8Array, i: number): RecordError {
  if (i >= buf.length) return new RecordError(`json: unexpected end of input at byte ${buf.length}`);
  return new RecordError(`json: expected ${what} at byte ${i}, found ${showByte(buf[i])}`);
}

function invalidNumber(buf: Uint8Array, start: number, at: number): RecordError {
  if (at >= buf.length) return new RecordError(`json: unexpected end of input at byte ${buf.length}`);
  return new RecordError(`json: invalid number at byte ${start}`);
}

function controlChar(at: number): RecordError {
  return new RecordError(`json: unescaped control character in a string at byte ${at}`);
}

function invalidUtf8(at: number): RecordError {
  return new RecordError(`json: invalid UTF-8 at byte ${at}`);
}

function literal(buf: Uint8Array, i: number, n: number, word: Uint8Array): number {
  for (let k = 0; k < word.length; k++) {
    if (i + k >= n) throw new RecordError(`json: unexpected end of input at byte ${n}`);
    if (buf[i + k] !== word[k]) throw new RecordError(`json: invalid literal at byte ${i}`);
  }
  return i + word.length;
}

/** Bytes written by the last {@link unescapeString}. */
let written = 0;

/**
 * The string at `buf[i]` (its opening quote), unescaped into `out` from `at` on (`out` must
 * hold `n - i` more bytes: unescaping never lengthens). Sets {@link written}; returns the offset
 * after the closing quote. Lone surrogates (`\ud800`) become U+FFFD, as encoding the string
 * `JSON.parse` gives would make them.
 */
function unescapeString(buf: Uint8Array, i: number, n: number, out: Uint8Array, at: number): number {
  let j = i + 1;
  let w = at;
  for (;;) {
    if (j >= n) throw new RecordError(`json: unexpected end of input at byte ${n}`);
    const c = buf[j]!;
    if (c === QUOTE) break;
    if (c === BACKSLASH) {
      const e = buf[j + 1];
      let b = -1;
      switch (e) {
        case QUOTE:
        case BACKSLASH:
        case 0x2f:
          b = e;
          break;
        case 0x62:
          b = 8;
          break;
        case 0x66:
          b = 12;
          break;
        case 0x6e:
          b = 10;
          break;
        case 0x72:
          b = 13;
          break;
        case 0x74:
          b = 9;
          break;
        case 0x75: {
          let cp = hex4(buf, j, n);
          j += 6;
          if (cp >= 0xd800 && cp <= 0xdfff) {
            if (cp <= 0xdbff && buf[j] === BACKSLASH && buf[j + 1] === 0x75) {
              const lo = hex4(buf, j, n);
              if (lo >= 0xdc00 && lo <= 0xdfff) {
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                j += 6;
              } else cp = 0xfffd;
            } else cp = 0xfffd;
          }
          if (cp < 0x80) out[w++] = cp;
          else if (cp < 0x800) {
            out[w++] = 0xc0 | (cp >> 6);
            out[w++] = 0x80 | (cp & 0x3f);
          } else if (cp < 0x10000) {
            out[w++] = 0xe0 | (cp >> 12);
            out[w++] = 0x80 | ((cp >> 6) & 0x3f);
            out[w++] = 0x80 | (cp & 0x3f);
          } else {
            out[w++] = 0xf0 | (cp >> 18);
            out[w++] = 0x80 | ((cp >> 12) & 0x3f);
            out[w++] = 0x80 | ((cp >> 6) & 0x3f);
            out[w++] = 0x80 | (cp & 0x3f);
          }
          continue;
        }
        default:
          if (j + 1 >= n) throw new RecordError(`json: unexpected end of input at byte ${n}`);
          throw new RecordError(`json: invalid escape at byte ${j}`);
      }
      out[w++] = b;
      j += 2;
    } else if (c < 0x20) throw controlChar(j);
    else if (c < 0x80) {
      out[w++] = c;
      j++;
    } else {
      const len = utf8SequenceLength(buf, j, n);
      if (len < 0) throw invalidUtf8(j);
      for (let k = 0; k < len; k++) out[w++] = buf[j++]!;
    }
  }
  written = w - at;
  return j + 1;
}

/** The code unit of the `\uXXXX` escape at `buf[j]` (its backslash). */
function hex4(buf: Uint8Array, j: number, n: number): number {
  if (j + 6 > n) throw new RecordError(`json: unexpected end of input at byte ${n}`);
  let v = 0;
  for (let k = 2; k < 6; k++) {
    const h = hexValue(buf[j + k]!);
    if (h < 0) throw new RecordError(`json: invalid \\u escape at byte ${j}`);
    v = (v << 4) | h;
  }
  return v;
}

/** Skips (and checks) the string at `buf[i]`; returns the offset after its closing quote. */
function skipString(buf: Uint8Array, i: number, n: number): number {
  let j = i + 1;
  for (;;) {
    if (j >= n) throw new RecordError(`json: unexpected end of input at byte ${n}`);
    const c = buf[j]!;
    if (c === QUOTE) return j + 1;
    if (c === BACKSLASH) {
      const e = buf[j + 1];
      if (e === 0x75) {
        hex4(buf, j, n);
        j += 6;
      } else if (e === QUOTE || e === BACKSLASH || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) j += 2;
      else if (j + 1 >= n) throw new RecordError(`json: unexpected end of input at byte ${n}`);
      else throw new RecordError(`json: invalid escape at byte ${j}`);
    } else if (c < 0x20) throw controlChar(j);
    else if (c < 0x80) j++;
    else {
      const len = utf8SequenceLength(buf, j, n);
      if (len < 0) throw invalidUtf8(j);
      j += len;
    }
  }
}

// ------------------------------------------------------------------ JSON.parse, no schema

/** Infers a schema from a parsed record: numbers f64, booleans bool, everything else utf8. */
export function inferJsonSchema(record: Record<string, unknown>): Schema {
  const schema: Record<string, FieldType> = {};
  for (const [k, v] of Object.entries(record)) schema[k] = typeof v === 'number' ? 'f64' : typeof v === 'boolean' ? 'bool' : 'utf8';
  return schema;
}

function describeJsonValue(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/**
 * `JSON.parse` per record. Without a schema it infers one from the first record with a key (and
 * keeps it); utf8 fields of an inferred schema take any value, non-strings as their JSON text.
 * With a schema, values must have the field's type as in the scanner (this is the reference the
 * scanner is tested and benchmarked against).
 */
export class JsonParseDecoder<T = unknown> implements Decoder<T> {
  readonly format = 'json' as const;
  private schema: Schema | undefined;
  private readonly inferred: boolean;
  private readonly utf8 = new TextDecoder('utf-8', { fatal: true });

  constructor(
    private readonly options: ResolvedDecodeOptions,
    schema?: Schema,
  ) {
    this.schema = schema;
    this.inferred = schema === undefined;
  }

  /** The schema in use: given, inferred, or undefined until a record with a key arrived. */
  get currentSchema(): Schema | undefined {
    return this.schema;
  }

  decode(payloads: readonly Uint8Array[]): Decoded<T> {
    return toDecoded<T>(this.decodeTable(payloads));
  }

  /** Decodes the payloads of one batch into an Arrow table. */
  decodeTable(payloads: readonly Uint8Array[]): DecodedTable {
    const malformed = new MalformedList(this.options.onMalformed);
    const max = this.options.maxMessageBytes;
    const n = payloads.length;
    let cols: Column[] | undefined = this.schema && makeColumns(this.schema, n);
    let names = this.schema ? Object.keys(this.schema) : [];
    let state = new Uint8Array(names.length);
    let row = 0;
    for (const buf of payloads) {
      if (buf.length > max) {
        malformed.add(buf, `oversize: ${buf.length} bytes > ${max}`);
        continue;
      }
      let text: string;
      try {
        text = this.utf8.decode(buf);
      } catch {
        malformed.add(buf, `json: invalid UTF-8 at byte ${firstInvalidUtf8(buf)}`);
        continue;
      }
      let obj: unknown;
      try {
        obj = JSON.parse(text);
      } catch (e) {
        malformed.add(buf, `json: ${(e as Error).message}`);
        continue;
      }
      if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
        malformed.add(buf, `json: expected an object, got ${describeJsonValue(obj)}`);
        continue;
      }
      const record = obj as Record<string, unknown>;
      if (!cols) {
        // Records before the first with a key ({}) are rows of nulls once the schema is known.
        if (Object.keys(record).length === 0) {
          row++;
          continue;
        }
        this.schema = inferJsonSchema(record);
        names = Object.keys(this.schema);
        state = new Uint8Array(names.length);
        cols = makeColumns(this.schema, n);
        for (let r = 0; r < row; r++) for (const c of cols) c.setNull(r);
      }
      const reason = this.fill(cols, names, state, record, row);
      if (reason !== undefined) {
        malformed.add(buf, reason);
        continue;
      }
      row++;
    }
    // Only {} records so far: rows without columns.
    if (!cols) return { table: row === 0 ? undefined : tableOf([], row), records: row, malformed: malformed.items };
    return { table: tableOf(cols, row), records: row, malformed: malformed.items };
  }

  /** Writes the record's fields at `row`; returns the reason when a value has the wrong type. */
  private fill(cols: Column[], names: readonly string[], state: Uint8Array, record: Record<string, unknown>, row: number): string | undefined {
    for (let f = 0; f < names.length; f++) {
      const name = names[f]!;
      const col = cols[f]!;
      let v = record[name];
      // Inherited members (toString, __proto__) are not fields; JSON values are never functions.
      if (typeof v === 'function' || (name === '__proto__' && !Object.hasOwn(record, name))) v = undefined;
      if (v === undefined || v === null) {
        state[f] = FIELD_STATE_MISSING;
        continue;
      }
      state[f] = FIELD_STATE_VALUE;
      switch (col.kind) {
        case Kind.Bool:
          if (typeof v !== 'boolean') return `json: expected boolean for "${name}", got ${describeJsonValue(v)}`;
          (col as BoolColumn).set(row, v);
          break;
        case Kind.Utf8:
          if (typeof v !== 'string' && !this.inferred) return `json: expected string for "${name}", got ${describeJsonValue(v)}`;
          (col as Utf8Column).setString(row, typeof v === 'string' ? v : JSON.stringify(v));
          break;
        default: {
          if (typeof v !== 'number') return `json: expected number for "${name}", got ${describeJsonValue(v)}`;
          const code = storeJsNumber(col, row, v);
          if (code === NOT_INTEGER) return `json: expected an integer for "${name}", got ${v}`;
          if (code === OUT_OF_RANGE) return `json: ${v} out of range for ${col.type} "${name}"`;
        }
      }
    }
    for (let f = 0; f < names.length; f++) {
      const col = cols[f]!;
      if (state[f] === FIELD_STATE_VALUE) {
        if (col.kind === Kind.Utf8) (col as Utf8Column).commit(row);
      } else col.setNull(row);
    }
    return undefined;
  }
}
