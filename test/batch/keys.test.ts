// Key identity and hashing: KeyMap equality, hashKey/partitionOf consistency with it, and fmix32
// checked against murmur3's published test vectors.
import { describe, expect, test } from 'vitest';
import { KeyMap, canonicalKey, fmix32, hashKey, partitionOf } from '../../src/batch/keys.js';

/**
 * MurmurHash3_x86_32 written out from its definition, with the exported fmix32 as its final
 * mix. For the empty input it is `fmix32(seed)`, so the published vectors below pin fmix32 down.
 */
function murmur3(bytes: Uint8Array, seed: number): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  const rotl = (x: number, r: number) => ((x << r) | (x >>> (32 - r))) >>> 0;
  const mixK = (k: number) => Math.imul(rotl(Math.imul(k, c1), 15), c2);
  let h = seed >>> 0;
  const blocks = bytes.length >>> 2;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < blocks; i++) {
    h ^= mixK(view.getUint32(i * 4, true));
    h = (Math.imul(rotl(h, 13), 5) + 0xe6546b64) >>> 0;
  }
  // The 1 to 3 trailing bytes, little-endian, mixed in as one last block.
  const tail = bytes.subarray(blocks * 4);
  if (tail.length > 0) h ^= mixK(tail.reduceRight((k, byte) => (k << 8) | byte, 0));
  return fmix32((h ^ bytes.length) >>> 0);
}

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('fmix32', () => {
  test('fixes 0', () => {
    expect(fmix32(0)).toBe(0);
  });

  test('matches murmur3 on the empty input (the result is fmix32(seed))', () => {
    // Published MurmurHash3_x86_32 vectors (SMHasher / reference implementations).
    expect(fmix32(1)).toBe(0x514e28b7);
    expect(fmix32(0xffffffff)).toBe(0x81f16f39);
  });

  test('finishes murmur3 correctly on published vectors', () => {
    expect(murmur3(utf8(''), 0)).toBe(0);
    expect(murmur3(utf8(''), 1)).toBe(0x514e28b7);
    expect(murmur3(utf8(''), 0xffffffff)).toBe(0x81f16f39);
    expect(murmur3(utf8('test'), 0)).toBe(0xba6bd213);
    expect(murmur3(utf8('Hello, world!'), 1234)).toBe(0xfaf6cdb3);
    expect(murmur3(utf8('The quick brown fox jumps over the lazy dog'), 0)).toBe(0x2e4ff723);
  });

  test('returns an unsigned 32-bit integer', () => {
    for (const x of [1, 2, 42, 0x7fffffff, 0x80000000, 0xffffffff, 123456789]) {
      const h = fmix32(x);
      expect(Number.isInteger(h)).toBe(true);
      expect(h).toBeGreaterThanOrEqual(0);
      expect(h).toBeLessThan(2 ** 32);
    }
  });

  test('is a bijection: distinct inputs give distinct outputs', () => {
    const outputs = new Set<number>();
    for (let i = 0; i < 20_000; i++) outputs.add(fmix32((i * 2654435761) >>> 0));
    expect(outputs.size).toBe(20_000);
  });
});

describe('KeyMap', () => {
  test('compares primitive keys by value, as Map does (SameValueZero)', () => {
    const m = new KeyMap<unknown, string>();
    m.set(0, 'zero').set(-0, 'minus zero').set(NaN, 'nan').set(Number.NaN, 'nan again');
    m.set(1, 'number').set('1', 'string').set(1n, 'bigint').set(true, 'bool').set(null, 'null').set(undefined, 'undefined');
    expect(m.size).toBe(8);
    expect(m.get(0)).toBe('minus zero');
    expect(m.get(NaN)).toBe('nan again');
    expect(m.get(1)).toBe('number');
    expect(m.get('1')).toBe('string');
    expect(m.get(1n)).toBe('bigint');
    expect(m.get(null)).toBe('null');
    expect(m.get(undefined)).toBe('undefined');
  });

  test('a tuple built twice is one key, and keeps the first key object', () => {
    const m = new KeyMap<[string, number], number>();
    const first: [string, number] = ['a', 1];
    m.set(first, 1);
    m.set(['a', 1], 2);
    m.set(['a', 2], 3);
    expect(m.size).toBe(2);
    expect(m.get(['a', 1])).toBe(2);
    expect(m.has(['a', 2])).toBe(true);
    expect(m.has(['a', 3])).toBe(false);
    expect(Array.from(m)[0]![0]).toBe(first);
  });

  test('object keys are equal whatever the order of their fields', () => {
    const m = new KeyMap<object, number>();
    m.set({ x: 1, y: { a: 1, b: 2 } }, 1);
    expect(m.get({ y: { b: 2, a: 1 }, x: 1 })).toBe(1);
    expect(m.get({ x: 1, y: { a: 1, b: 3 } })).toBeUndefined();
  });

  test('structured keys keep the types of their parts', () => {
    // Pairs that JSON would confuse: each must be two distinct keys.
    const confusable: [unknown, unknown][] = [
      [[1n], ['1n']],
      [[null], [undefined]],
      [[NaN], [null]],
      [[Infinity], [null]],
      [[1], ['1']],
      [['a,b'], ['a', 'b']],
      [[[1, 2]], [1, 2]],
      [{ a: undefined }, {}],
      [[new Date(0)], ['1970-01-01T00:00:00.000Z']],
      [[new Map([['a', 1]])], [new Map([['a', 2]])]],
      [[new Set([1])], [new Set([2])]],
      [[new Map([['a', 1]])], [{ a: 1 }]],
    ];
    for (const [a, b] of confusable) {
      const m = new KeyMap<unknown, string>();
      m.set(a, 'a').set(b, 'b');
      expect(m.size, `${String(canonicalKey(a))} vs ${String(canonicalKey(b))}`).toBe(2);
      expect(m.get(a)).toBe('a');
    }
  });

  test('numbers inside structured keys compare as Map compares them', () => {
    const m = new KeyMap<unknown, number>();
    m.set([0, NaN], 1);
    expect(m.get([-0, NaN])).toBe(1);
  });

  test('dates, maps and sets compare by value; map and set order does not matter', () => {
    const m = new KeyMap<unknown, number>();
    m.set([new Date(5)], 1).set([new Map([['a', 1], ['b', 2]])], 2).set([new Set([1, 2])], 3);
    expect(m.get([new Date(5)])).toBe(1);
    expect(m.get([new Map([['b', 2], ['a', 1]])])).toBe(2);
    expect(m.get([new Set([2, 1])])).toBe(3);
    expect(m.size).toBe(3);
  });

  test('rejects keys that cannot be compared by value', () => {
    const cyclic: unknown[] = ['a'];
    cyclic.push(cyclic);
    expect(() => new KeyMap().set(cyclic, 1)).toThrow(TypeError);
    expect(() => new KeyMap().set([Symbol('s')], 1)).toThrow(TypeError);
    expect(() => new KeyMap().set({ f: () => 1 }, 1)).toThrow(TypeError);
    // A repeated (not cyclic) part is fine.
    const shared = [1];
    expect(new KeyMap().set([shared, shared], 1).size).toBe(1);
  });

  test('set overwrites, delete removes, and a key mapped to undefined is present', () => {
    const m = new KeyMap<unknown, number | undefined>();
    m.set('a', 1).set(['t'], 2).set('a', 3).set('u', undefined);
    expect(m.size).toBe(3);
    expect(m.get('a')).toBe(3);
    expect(m.has('u')).toBe(true);
    expect(m.delete(['t'])).toBe(true);
    expect(m.delete(['t'])).toBe(false);
    expect(m.delete('missing')).toBe(false);
    expect(m.size).toBe(2);
    expect(m.has(['t'])).toBe(false);
  });

  test('iterates in first-insertion order within each kind of key', () => {
    const m = new KeyMap<unknown, number>();
    m.set('b', 1).set(['y'], 2).set('a', 3).set(['x'], 4).set('b', 5);
    const entries = Array.from(m);
    expect(entries.filter(([k]) => typeof k === 'string')).toStrictEqual([['b', 5], ['a', 3]]);
    expect(entries.filter(([k]) => Array.isArray(k))).toStrictEqual([[['y'], 2], [['x'], 4]]);
    expect(Array.from(m.entries())).toStrictEqual(entries);
  });
});

describe('hashKey', () => {
  test('hashes integer keys with fmix32, like the WASM kernel hashU32', () => {
    for (const k of [0, 1, 42, 0x7fffffff, 0xffffffff]) expect(hashKey(k)).toBe(fmix32(k));
    expect(hashKey(-1)).toBe(fmix32(0xffffffff));
  });

  test('equal keys (as KeyMap sees them) hash equally', () => {
    const equalPairs: [unknown, unknown][] = [
      ['word', 'word'],
      [0, -0],
      [NaN, Number.NaN],
      [1.5, 3 / 2],
      [2 ** 40, 2 ** 40],
      [['a', 1], ['a', 1]],
      [{ x: 1, y: 2 }, { y: 2, x: 1 }],
      [[new Set(['p', 'q'])], [new Set(['q', 'p'])]],
    ];
    for (const [a, b] of equalPairs) {
      const m = new KeyMap<unknown, number>().set(a, 1);
      expect(m.has(b)).toBe(true);
      expect(hashKey(a)).toBe(hashKey(b));
    }
  });

  test('is an unsigned 32-bit integer for every kind of key', () => {
    for (const k of ['', 'a', 'é日本', -7, 1.25, NaN, 2n ** 70n, true, null, undefined, Symbol.for('s'), ['a', 1], { a: [1, 2] }]) {
      const h = hashKey(k);
      expect(Number.isInteger(h)).toBe(true);
      expect(h).toBeGreaterThanOrEqual(0);
      expect(h).toBeLessThan(2 ** 32);
    }
  });

  test('tells apart keys of different kinds with the same text', () => {
    // Not required for correctness (KeyMap decides equality), but collisions here would pile
    // such keys into one partition.
    const hashes = new Set([hashKey('1'), hashKey(1), hashKey(1n), hashKey(['1']), hashKey([1])]);
    expect(hashes.size).toBe(5);
  });
});

describe('partitionOf', () => {
  test('is in [0, numPartitions) and the same for equal keys', () => {
    const keys: unknown[] = ['a', 'b', '', 0, -1, 7.5, 123456789, ['a', 1], { k: 'v' }, null, true];
    for (let n = 1; n <= 7; n++) {
      for (const k of keys) {
        const p = partitionOf(k, n);
        expect(Number.isInteger(p)).toBe(true);
        expect(p).toBeGreaterThanOrEqual(0);
        expect(p).toBeLessThan(n);
        expect(partitionOf(structuredClone(k), n)).toBe(p);
      }
    }
  });

  test('puts everything in partition 0 when there is one partition', () => {
    for (const k of ['a', 1, ['x', 2]]) expect(partitionOf(k, 1)).toBe(0);
  });

  test('spreads distinct keys over all partitions', () => {
    for (const keys of [Array.from({ length: 1000 }, (_, i) => i), Array.from({ length: 1000 }, (_, i) => `word-${i}`)]) {
      const sizes = [0, 0, 0, 0];
      for (const k of keys) sizes[partitionOf(k, 4)]!++;
      // 250 expected in each; a decent hash stays well within 150..350.
      for (const s of sizes) {
        expect(s).toBeGreaterThan(150);
        expect(s).toBeLessThan(350);
      }
    }
  });
});
