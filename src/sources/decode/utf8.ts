/**
 * UTF-8 validation by hand, for scanners that meet non-ASCII bytes one sequence at a time and
 * need the position of a bad one.
 */

/**
 * The length (2 to 4) of the well-formed UTF-8 sequence starting at `buf[i]` (a byte ≥ 0x80),
 * or -1 when it is ill-formed (Unicode Table 3-7: no overlongs, surrogates or code points
 * beyond U+10FFFF) or cut by `end`.
 */
export function utf8SequenceLength(buf: Uint8Array, i: number, end: number): number {
  const b0 = buf[i]!;
  if (b0 < 0xc2) return -1;
  if (b0 < 0xe0) return i + 1 < end && (buf[i + 1]! & 0xc0) === 0x80 ? 2 : -1;
  if (b0 < 0xf0) {
    if (i + 2 >= end) return -1;
    const b1 = buf[i + 1]!;
    const lo = b0 === 0xe0 ? 0xa0 : 0x80;
    const hi = b0 === 0xed ? 0x9f : 0xbf;
    return b1 >= lo && b1 <= hi && (buf[i + 2]! & 0xc0) === 0x80 ? 3 : -1;
  }
  if (b0 < 0xf5) {
    if (i + 3 >= end) return -1;
    const b1 = buf[i + 1]!;
    const lo = b0 === 0xf0 ? 0x90 : 0x80;
    const hi = b0 === 0xf4 ? 0x8f : 0xbf;
    return b1 >= lo && b1 <= hi && (buf[i + 2]! & 0xc0) === 0x80 && (buf[i + 3]! & 0xc0) === 0x80 ? 4 : -1;
  }
  return -1;
}

/** The offset of the first ill-formed UTF-8 sequence in `buf[from, to)`, or -1 when all is well-formed. */
export function firstInvalidUtf8(buf: Uint8Array, from = 0, to = buf.length): number {
  for (let i = from; i < to; ) {
    if (buf[i]! < 0x80) {
      i++;
      continue;
    }
    const n = utf8SequenceLength(buf, i, to);
    if (n < 0) return i;
    i += n;
  }
  return -1;
}
