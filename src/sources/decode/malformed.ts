/**
 * Malformed records: the error thrown under policy 'fail', and the list the decoders fill under
 * 'skip' and 'dead-letter'.
 */
import { isUtf8 } from 'node:buffer';
import { SluiceError } from '../../errors.js';
import type { Malformed, MalformedPolicy } from './decoder.js';

const PREVIEW_CHARS = 64;
const PREVIEW_BYTES = 32;
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * How a record's first bytes read in a message: the text, quoted and escaped, when they are
 * valid UTF-8; hex otherwise. Truncated, with the record's full length.
 */
export function previewBytes(raw: Uint8Array): string {
  if (isUtf8(raw)) {
    const text = utf8.decode(raw.subarray(0, PREVIEW_CHARS * 4));
    const cut = [...text].slice(0, PREVIEW_CHARS).join('');
    return `${JSON.stringify(cut)}${cut.length < text.length || raw.length > PREVIEW_CHARS * 4 ? '…' : ''} (${raw.length} bytes)`;
  }
  const head = Buffer.from(raw.buffer, raw.byteOffset, Math.min(raw.length, PREVIEW_BYTES)).toString('hex');
  return `0x${head}${raw.length > PREVIEW_BYTES ? '…' : ''} (${raw.length} bytes, not UTF-8)`;
}

/** A malformed record met while decoding with `onMalformed: 'fail'`. */
export class MalformedRecordError extends SluiceError {
  constructor(
    /** Why the record is malformed, e.g. `json: expected number for "value" at byte 17`. */
    readonly reason: string,
    /** The record's bytes. */
    readonly raw: Uint8Array,
  ) {
    super(
      `Malformed record (${reason}): ${previewBytes(raw)}. ` +
        `Fix the producer, or set onMalformed: 'skip' or 'dead-letter' to go on past malformed records.`,
    );
  }
}

/** Collects malformed records; under policy 'fail' the first one throws instead. */
export class MalformedList {
  readonly items: Malformed[] = [];
  constructor(private readonly policy: MalformedPolicy) {}
  add(raw: Uint8Array, reason: string): void {
    if (this.policy === 'fail') throw new MalformedRecordError(reason, raw);
    this.items.push({ raw, reason });
  }
}

/** Thrown inside a decoder's scanner, caught per record: never escapes the decoder. */
export class RecordError {
  constructor(readonly reason: string) {}
}

/** A byte as it reads in a reason: `'x'` for printable ASCII, `0xNN` otherwise. */
export function showByte(b: number | undefined): string {
  if (b === undefined) return 'end of input';
  return b >= 0x20 && b < 0x7f ? `'${String.fromCharCode(b)}'` : `0x${b.toString(16).padStart(2, '0')}`;
}

/** A value as it reads in a reason: quoted and escaped, truncated to 40 characters. */
export function showValue(s: string): string {
  return JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);
}
