// Unit tests of the string dictionary (assembly/dictionary.ts), on the release and debug builds.
import { describe, expect, test } from 'vitest';
import type { Kernels } from '../src/kernels/wasm.js';
import { TARGETS, freeAll, kernels, prng, utf8Column } from './test-helpers.js';

/** Encodes one batch; returns the ids. */
function encode(k: Kernels, dict: number, strings: string[], firstOffset = 0): Uint32Array {
  const { offsets, bytes } = utf8Column(strings, firstOffset);
  const op = k.copyIn(offsets);
  const dp = k.copyIn(bytes.length ? bytes : new Uint8Array(1));
  const out = k.allocArray(Uint32Array, Math.max(1, strings.length));
  k.dictEncode(dict, op, dp, strings.length, out);
  const ids = k.copyOut(out, strings.length, Uint32Array);
  freeAll(k, op, dp, out);
  return ids;
}

function entry(k: Kernels, dict: number, id: number): string {
  const bytes = k.copyOut(k.dictBytesOf(dict, id), k.dictLengthOf(dict, id), Uint8Array);
  return new TextDecoder().decode(bytes);
}

describe.each(TARGETS)('string dictionary (%s build)', (target) => {
  test('dense ids in first-seen order, kept across many batches (the table and arena grow)', async () => {
    const k = await kernels(target);
    const r = prng(1);
    const dict = k.dictNew(4);
    const ref = new Map<string, number>();
    const vocabulary = Array.from({ length: 30_000 }, (_, i) => (i % 5 === 0 ? `ünïcødé-${i}-🙂` : `w${i.toString(36)}`.repeat(1 + (i % 9))));
    vocabulary.push('', 'a', 'ab', 'x'.repeat(5000)); // empty, tiny and long strings
    const batches = target === 'release' ? 20 : 10;
    for (let b = 0; b < batches; b++) {
      // Each batch draws from a vocabulary window that moves: old words repeat, new ones arrive.
      const lo = Math.floor((b / batches) * vocabulary.length * 0.8);
      const strings = Array.from({ length: 2000 }, () => vocabulary[lo + Math.floor(r() * vocabulary.length * 0.2)] ?? '');
      if (b % 7 === 0) strings.push('', 'x'.repeat(5000));
      const ids = encode(k, dict, strings, b % 3);
      strings.forEach((s, i) => {
        let id = ref.get(s);
        if (id === undefined) ref.set(s, (id = ref.size));
        expect(ids[i]).toBe(id);
      });
      expect(k.dictSize(dict)).toBe(ref.size);
    }
    for (const [s, id] of ref) if (id % 97 === 0 || s.length > 100 || s === '') expect(entry(k, dict, id)).toBe(s);
    k.dictFree(dict);
  });

  test('strings that share a prefix, or differ only past 8 bytes, are different', async () => {
    const k = await kernels(target);
    const dict = k.dictNew(16);
    const strings = ['abcdefgh', 'abcdefgh1', 'abcdefgh2', 'abcdefghijklmnop', 'abcdefghijklmnoq', 'abc', 'abd', 'ab', 'a', ''];
    const ids = encode(k, dict, [...strings, ...strings.slice().reverse()]);
    expect(Array.from(ids.subarray(0, strings.length))).toEqual(strings.map((_, i) => i));
    expect(Array.from(ids.subarray(strings.length))).toEqual(strings.map((_, i) => strings.length - 1 - i));
    strings.forEach((s, i) => expect(entry(k, dict, i)).toBe(s));
    expect(() => k.dictBytesOf(dict, strings.length)).toThrow(/no such id/);
    k.dictFree(dict);
  });

  test('100K distinct strings in one batch, and empty input', async () => {
    const k = await kernels(target);
    const dict = k.dictNew(1);
    expect(encode(k, dict, []).length).toBe(0);
    expect(k.dictSize(dict)).toBe(0);
    const n = 100_000;
    const strings = Array.from({ length: n }, (_, i) => `key:${i}`);
    const ids = encode(k, dict, strings);
    expect(ids.every((id, i) => id === i)).toBe(true);
    const again = encode(k, dict, strings.slice().reverse());
    expect(again.every((id, i) => id === n - 1 - i)).toBe(true);
    expect(entry(k, dict, 54321)).toBe('key:54321');
    const used = k.heapUsed();
    k.dictFree(dict);
    expect(k.heapUsed()).toBeLessThan(used);
  });
});
