/**
 * Format 'arrow': each payload is an Arrow IPC stream or file (`tableToIPC(table)` on the
 * producer's side). The record batches of a batch interval's payloads are concatenated into one
 * table, one partition per record batch. All payloads must have the schema of the first one this
 * decoder read (field names, types and nullability); one that does not, or cannot be read, is
 * malformed. With a `schema` option, payloads must also have exactly those fields and types
 * (utf8 matches Utf8, LargeUtf8 or dictionary-encoded strings).
 */
import { DataType, Table, tableFromIPC, util, type Field, type RecordBatch, type Schema as ArrowSchema } from 'apache-arrow';
import { arrowType, toDecoded } from './builders.js';
import type { Decoded, DecodedTable, Decoder, FieldType, ResolvedDecodeOptions, Schema } from './decoder.js';
import { MalformedList } from './malformed.js';

function describeFields(fields: readonly Field[]): string {
  return fields.map((f) => `${f.name}: ${String(f.type)}${f.nullable ? '' : ' not null'}`).join(', ');
}

/** `expected` is `arrowType(type)`, built once per decoder rather than per payload. */
function matchesFieldType(type: FieldType, expected: DataType, t: DataType): boolean {
  if (type === 'utf8') return DataType.isUtf8(t) || DataType.isLargeUtf8(t) || (DataType.isDictionary(t) && DataType.isUtf8(t.dictionary));
  // In this order: a read type is of the generic class (Int, Float), ours of the subclass (Uint32).
  return util.compareTypes(t, expected);
}

export class ArrowDecoder<T = unknown> implements Decoder<T> {
  readonly format = 'arrow' as const;
  private reference: ArrowSchema | undefined;
  private readonly expected: readonly [string, FieldType][] | undefined;
  private readonly expectedTypes: readonly DataType[] | undefined;

  constructor(private readonly options: ResolvedDecodeOptions) {
    this.expected = options.schema && Object.entries(options.schema);
    this.expectedTypes = this.expected?.map(([, type]) => arrowType(type));
  }

  decode(payloads: readonly Uint8Array[]): Decoded<T> {
    return toDecoded<T>(this.decodeTable(payloads));
  }

  /** Decodes the payloads of one batch into an Arrow table. */
  decodeTable(payloads: readonly Uint8Array[]): DecodedTable {
    const malformed = new MalformedList(this.options.onMalformed);
    const max = this.options.maxMessageBytes;
    const batches: RecordBatch[] = [];
    let records = 0;
    for (const p of payloads) {
      if (p.length > max) {
        malformed.add(p, `oversize: ${p.length} bytes > ${max}`);
        continue;
      }
      let table: Table;
      try {
        table = tableFromIPC(p);
      } catch (e) {
        malformed.add(p, `arrow: ${(e as Error).message}`);
        continue;
      }
      const reason = this.check(table.schema);
      if (reason !== undefined) {
        malformed.add(p, reason);
        continue;
      }
      this.reference ??= table.schema;
      for (const b of table.batches) batches.push(b);
      records += table.numRows;
    }
    if (!this.reference) return { table: undefined, records: 0, malformed: malformed.items };
    return { table: new Table(this.reference, batches), records, malformed: malformed.items };
  }

  /** Why a payload's schema is not acceptable, or undefined. */
  private check(schema: ArrowSchema): string | undefined {
    if (schema.fields.length === 0) return 'arrow: not an Arrow IPC stream or file (no schema)';
    const exp = this.expected;
    if (exp) {
      const f = schema.fields;
      if (f.length !== exp.length || exp.some(([name, type], i) => f[i]!.name !== name || !matchesFieldType(type, this.expectedTypes![i]!, f[i]!.type))) {
        return `arrow: schema (${describeFields(f)}) does not match the schema option (${exp.map(([n, t]) => `${n}: ${t}`).join(', ')})`;
      }
    }
    const same: boolean = !this.reference || util.compareSchemas(this.reference, schema);
    if (!same) {
      return `arrow: schema (${describeFields(schema.fields)}) differs from the stream's (${describeFields(this.reference!.fields)})`;
    }
    return undefined;
  }
}
