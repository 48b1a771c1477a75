/**
 * Format 'text': each payload is one record, a UTF-8 string. A payload that is not valid UTF-8
 * is malformed; a BOM is kept as U+FEFF (the text is exactly what was sent).
 */
import { Batch } from '../../batch/batch.js';
import type { Decoded, Decoder, ResolvedDecodeOptions } from './decoder.js';
import { MalformedList } from './malformed.js';
import { firstInvalidUtf8 } from './utf8.js';

export class TextRecordDecoder implements Decoder<string> {
  readonly format = 'text' as const;
  private readonly utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

  constructor(private readonly options: ResolvedDecodeOptions) {}

  decode(payloads: readonly Uint8Array[]): Decoded<string> {
    const malformed = new MalformedList(this.options.onMalformed);
    const max = this.options.maxMessageBytes;
    const records: string[] = [];
    for (const p of payloads) {
      if (p.length > max) {
        malformed.add(p, `oversize: ${p.length} bytes > ${max}`);
        continue;
      }
      let s: string;
      try {
        s = this.utf8.decode(p);
      } catch {
        malformed.add(p, `text: invalid UTF-8 at byte ${firstInvalidUtf8(p)}`);
        continue;
      }
      records.push(s);
    }
    return { batch: Batch.of(records), records: records.length, malformed: malformed.items };
  }
}
