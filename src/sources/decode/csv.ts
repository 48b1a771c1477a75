/**
 * Format 'csv' (RFC 4180): a payload holds one or more lines, each line a record. Fields are
 * separated by the delimiter (default `,`); a field may be quoted (`"a, ""b"""`), and a quoted
 * field may span lines. Lines end with LF, CRLF or CR; blank lines are skipped; a BOM at the
 * start of a payload is skipped.
 *
 * - With a header (`csv.header`, the default without a schema), the first line of the first
 *   payload this decoder sees names the columns; it is remembered for later payloads and batches.
 * - With a schema, columns map to fields by position, or by header name when there is a header
 *   (header columns not in the schema are ignored, schema fields not in the header are null).
 *   Values are parsed from the bytes straight into the columns: an empty field is null except in
 *   utf8 fields (empty string); numbers may have blanks around them; bools are `true`/`false`/`1`/`0`
 *   in any case.
 * - Without a schema, the header names the columns and each batch infers their types: f64 when
 *   every non-empty value of the batch parses as a number (empty values are then null), utf8
 *   otherwise.
 *
 * A line with the wrong number of fields, a value that does not parse, a stray quote or invalid
 * UTF-8 is malformed on its own: its raw bytes are the line's (without its line break), and byte
 * positions in reasons count from the line's start.
 */
import { isUtf8 } from 'node:buffer';
import { Kind, NumberColumn, Utf8Column, makeColumn, tableOf, toDecoded, type BoolColumn, type Column } from './builders.js';
import type { Decoded, DecodedTable, Decoder, FieldType, ResolvedDecodeOptions, Schema } from './decoder.js';
import { MalformedList, showByte, showValue } from './malformed.js';
import { NOT_INTEGER, STORED, latin1, parseDecimal, parsed, quickDecimal, quickIsInt, storeNumber } from './numbers.js';
import { firstInvalidUtf8 } from './utf8.js';

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/** How the columns of a line map to output columns, once the header (if any) is known. */
interface Layout {
  /** Output columns: names and types (all utf8 while inferring). */
  readonly names: readonly string[];
  readonly types: readonly FieldType[];
  /** For each CSV column, its output column, or -1 when ignored. */
  readonly map: Int32Array;
  /** Fields a line must have. */
  readonly expected: number;
}

export class CsvDecoder<T = unknown> implements Decoder<T> {
  readonly format = 'csv' as const;
  private readonly schema: Schema | undefined;
  private readonly delim: number;
  private readonly wantHeader: boolean;
  private header: string[] | undefined;
  private layout: Layout | undefined;

  // Per decode call.
  private cols: Column[] = [];
  private cap = 0;
  private row = 0;
  /** Bytes of the batch's payloads, and of those parsed before the current one. */
  private totalBytes = 0;
  private bytesBefore = 0;
  /** Per output column of the current line: 1 when a value was written. */
  private state = new Uint8Array(0);
  /** The first value error of the current line. */
  private lineError: string | undefined;
  private lineStart = 0;
  /** Header fields being collected, while the header line is parsed. */
  private headerFields: string[] | undefined;

  /** 1 for the bytes that end an unquoted field or are not allowed in one. */
  private readonly special = new Uint8Array(256);

  constructor(private readonly options: ResolvedDecodeOptions) {
    this.schema = options.schema;
    this.delim = options.csv.delimiter;
    for (const b of [this.delim, LF, CR, QUOTE]) this.special[b] = 1;
    this.wantHeader = options.csv.header;
    if (!this.wantHeader) {
      const names = Object.keys(this.schema!);
      this.layout = { names, types: Object.values(this.schema!), map: Int32Array.from(names, (_, i) => i), expected: names.length };
    }
  }

  /** The header names, once the header line has been read. */
  get headerNames(): readonly string[] | undefined {
    return this.header;
  }

  decode(payloads: readonly Uint8Array[]): Decoded<T> {
    return toDecoded<T>(this.decodeTable(payloads));
  }

  /** Decodes the payloads of one batch into an Arrow table. */
  decodeTable(payloads: readonly Uint8Array[]): DecodedTable {
    const malformed = new MalformedList(this.options.onMalformed);
    const max = this.options.maxMessageBytes;
    // Columns start at one row per payload; when full, they grow to the rows the bytes read so
    // far predict for all the batch's bytes (so a batch grows its columns about once).
    this.cap = Math.max(16, payloads.length);
    let total = 0;
    for (const p of payloads) total += p.length;
    this.totalBytes = total;
    this.bytesBefore = 0;
    this.row = 0;
    this.cols = this.layout ? this.makeCols(this.layout) : [];
    try {
      for (const p of payloads) {
        if (p.length > max) {
          malformed.add(p, `oversize: ${p.length} bytes > ${max}`);
          continue;
        }
        const start = p.length >= 3 && p[0] === 0xef && p[1] === 0xbb && p[2] === 0xbf ? 3 : 0;
        this.parse(p, start, !isUtf8(p), malformed);
        this.bytesBefore += p.length;
      }
      const rows = this.row;
      if (!this.layout) return { table: undefined, records: 0, malformed: malformed.items };
      const cols = this.schema ? this.cols : this.inferColumns(this.cols, rows);
      return { table: tableOf(cols, rows), records: rows, malformed: malformed.items };
    } finally {
      this.cols = [];
    }
  }

  private makeCols(layout: Layout): Column[] {
    this.state = new Uint8Array(layout.names.length);
    return layout.names.map((name, i) => makeColumn(name, layout.types[i]!, this.cap));
  }

  /** Parses the lines of `buf` from `i` on. */
  private parse(buf: Uint8Array, i: number, checkUtf8: boolean, malformed: MalformedList): void {
    const n = buf.length;
    const delim = this.delim;
    const special = this.special;
    while (i < n) {
      const c0 = buf[i]!;
      if (c0 === LF) {
        i++;
        continue;
      }
      if (c0 === CR) {
        i++;
        if (buf[i] === LF) i++;
        continue;
      }
      const lineStart = i;
      this.lineStart = lineStart;
      this.lineError = undefined;
      const isHeader = this.layout === undefined;
      if (isHeader) this.headerFields = [];
      else this.beginRow();
      let structural: string | undefined;
      let fields = 0;
      for (;;) {
        let start: number;
        let end: number;
        let escapes = false;
        if (buf[i] === QUOTE) {
          start = i + 1;
          let j = start;
          for (;;) {
            const q = buf.indexOf(QUOTE, j);
            if (q < 0) {
              structural = `csv: unterminated quoted field at byte ${i - lineStart}`;
              end = i = n;
              break;
            }
            if (buf[q + 1] === QUOTE) {
              escapes = true;
              j = q + 2;
              continue;
            }
            end = q;
            i = q + 1;
            break;
          }
          if (structural) break;
          const a = buf[i];
          if (i < n && a !== delim && a !== LF && a !== CR) {
            structural = `csv: unexpected ${showByte(a)} after a closing quote at byte ${i - lineStart}`;
            break;
          }
        } else {
          start = i;
          // One table lookup per byte: the delimiter, CR, LF and the quote are special.
          while (i < n && special[buf[i]!] === 0) i++;
          if (buf[i] === QUOTE) {
            structural = `csv: quote inside an unquoted field at byte ${i - lineStart}`;
            break;
          }
          end = i;
        }
        if (isHeader) this.headerFields!.push(fieldText(buf, start, end, escapes));
        else this.field(fields, buf, start, end, escapes);
        fields++;
        if (i < n && buf[i] === delim) {
          i++;
          continue;
        }
        break;
      }
      if (structural) {
        // Resynchronise at the next line break, quotes or not.
        while (i < n && buf[i] !== LF && buf[i] !== CR) i++;
      }
      const lineEnd = i;
      if (buf[i] === CR) {
        i++;
        if (buf[i] === LF) i++;
      } else if (buf[i] === LF) i++;

      let reason = structural;
      if (reason === undefined && checkUtf8) {
        const bad = firstInvalidUtf8(buf, lineStart, lineEnd);
        if (bad >= 0) reason = `csv: invalid UTF-8 at byte ${bad - lineStart}`;
      }
      if (isHeader) {
        const names = this.headerFields!;
        this.headerFields = undefined;
        if (reason !== undefined) malformed.add(buf.slice(lineStart, lineEnd), reason);
        else this.setHeader(names);
        continue;
      }
      if (reason === undefined && fields !== this.layout!.expected) reason = `csv: expected ${this.layout!.expected} fields, got ${fields}`;
      reason ??= this.lineError;
      if (reason !== undefined) malformed.add(buf.slice(lineStart, lineEnd), reason);
      else this.commitRow();
    }
  }

  private setHeader(fields: string[]): void {
    // Duplicate names get a suffix (`a`, `a_2`): Arrow fields and row objects need distinct names.
    const seen = new Set<string>();
    const names = fields.map((f) => {
      let name = f;
      for (let k = 2; seen.has(name); k++) name = `${f}_${k}`;
      seen.add(name);
      return name;
    });
    this.header = names;
    let layout: Layout;
    if (this.schema) {
      const fieldNames = Object.keys(this.schema);
      const index = new Map(fieldNames.map((f, i) => [f, i]));
      layout = {
        names: fieldNames,
        types: Object.values(this.schema),
        map: Int32Array.from(names, (h) => index.get(h) ?? -1),
        expected: names.length,
      };
    } else {
      layout = { names, types: names.map(() => 'utf8'), map: Int32Array.from(names, (_, i) => i), expected: names.length };
    }
    this.layout = layout;
    this.cols = this.makeCols(layout);
  }

  private beginRow(): void {
    const row = this.row;
    if (row >= this.cap) {
      const read = this.bytesBefore + this.lineStart;
      const predicted = read > 0 ? Math.ceil((row * this.totalBytes * 1.05) / read) + 16 : 0;
      this.cap = Math.max(16, this.cap * 2, Math.min(predicted, this.totalBytes));
      for (const c of this.cols) c.grow(this.cap);
    }
    const state = this.state;
    for (let k = 0; k < state.length; k++) state[k] = 0;
  }

  private commitRow(): void {
    const row = this.row;
    const state = this.state;
    const cols = this.cols;
    for (let k = 0; k < cols.length; k++) if (state[k] === 0) cols[k]!.setNull(row);
    this.row = row + 1;
  }

  /** Writes CSV column `ci` of the current line (bytes `[start, end)`) into its output column. */
  private field(ci: number, buf: Uint8Array, start: number, end: number, escapes: boolean): void {
    const layout = this.layout!;
    if (ci >= layout.expected || this.lineError !== undefined) return;
    const oc = layout.map[ci]!;
    if (oc < 0) return;
    const col = this.cols[oc]!;
    const row = this.row;
    switch (col.kind) {
      case Kind.Utf8: {
        const u = col as Utf8Column;
        if (!escapes) u.setBytes(row, buf, start, end);
        else {
          const at = u.start(row);
          const out = u.reserve(at, end - start);
          let w = at;
          for (let i = start; i < end; i++) {
            const c = buf[i]!;
            out[w++] = c;
            if (c === QUOTE) i++;
          }
          u.end = w;
        }
        u.commit(row);
        this.state[oc] = 1;
        return;
      }
      case Kind.Bool: {
        const v = boolOf(buf, start, end);
        if (v === undefined) return;
        if (v === null) this.lineError = this.valueError(ci, oc, buf, start, end, escapes);
        else {
          (col as BoolColumn).set(row, v);
          this.state[oc] = 1;
        }
        return;
      }
      default: {
        // Plain decimals take the quick parser; anything else (blanks, exponents, NaN, long
        // literals, errors) the full one.
        let v = escapes ? NaN : quickDecimal(buf, start, end);
        let isInt = quickIsInt;
        let from = start;
        let to = end;
        if (v !== v) {
          if (escapes || !parseDecimal(buf, start, end)) {
            if (!escapes && isBlankSpan(buf, start, end)) return;
            this.lineError = this.valueError(ci, oc, buf, start, end, escapes);
            return;
          }
          v = parsed.value;
          isInt = parsed.isInt;
          from = parsed.from;
          to = parsed.to;
        }
        const code = storeNumber(col, row, v, isInt, buf, from, to);
        if (code === STORED) this.state[oc] = 1;
        else if (code === NOT_INTEGER) this.lineError = this.valueError(ci, oc, buf, start, end, escapes);
        else {
          const l = this.layout!;
          this.lineError = `csv: ${latin1(buf, from, to)} out of range for ${l.types[oc]} "${l.names[oc]}" (field ${ci + 1})`;
        }
      }
    }
  }

  private valueError(ci: number, oc: number, buf: Uint8Array, start: number, end: number, escapes: boolean): string {
    const l = this.layout!;
    return `csv: expected ${l.types[oc]} for "${l.names[oc]}" (field ${ci + 1}), got ${showValue(fieldText(buf, start, end, escapes))}`;
  }

  /** Schema-less: each utf8 column whose non-empty values all parse as numbers becomes f64. */
  private inferColumns(cols: Column[], rows: number): Column[] {
    return cols.map((c) => {
      const u = c as Utf8Column;
      const o = u.offsets;
      const b = u.bytes;
      const f = new NumberColumn(u.name, 'f64', rows);
      const values = f.values;
      let numbers = 0;
      for (let r = 0; r < rows; r++) {
        const from = o[r]!;
        const to = o[r + 1]!;
        if (from === to) {
          f.setNull(r);
          continue;
        }
        let v = quickDecimal(b, from, to);
        if (v !== v) {
          if (!parseDecimal(b, from, to)) return c;
          v = parsed.value;
        }
        values[r] = v;
        numbers++;
      }
      return numbers === 0 ? c : f;
    });
  }
}

/** The text of a field, unescaping `""`. */
function fieldText(buf: Uint8Array, start: number, end: number, escapes: boolean): string {
  const s = utf8.decode(buf.subarray(start, end));
  return escapes ? s.replaceAll('""', '"') : s;
}

function isBlankSpan(buf: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] !== 0x20 && buf[i] !== 0x09) return false;
  return true;
}

/** true/false/1/0 in any case, blanks around; undefined when blank (null); null when not a bool. */
function boolOf(buf: Uint8Array, start: number, end: number): boolean | null | undefined {
  while (start < end && (buf[start] === 0x20 || buf[start] === 0x09)) start++;
  while (end > start && (buf[end - 1] === 0x20 || buf[end - 1] === 0x09)) end--;
  const len = end - start;
  if (len === 0) return undefined;
  if (len === 1) return buf[start] === 0x31 ? true : buf[start] === 0x30 ? false : null;
  const word = latin1(buf, start, end).toLowerCase();
  return word === 'true' ? true : word === 'false' ? false : null;
}
