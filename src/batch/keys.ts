/**
 * Key identity for pair operations. Spark compares keys with equals/hashCode; here primitive keys
 * compare by value (SameValueZero, as `Map` does) and structured keys (tuples, plain objects,
 * dates, maps, sets) by their canonical form, so `['a', 1]` built twice is one key, as a Scala
 * tuple would be.
 */

type Primitive = string | number | bigint | boolean | symbol | null | undefined;

function isPrimitive(k: unknown): k is Primitive {
  return k === null || (typeof k !== 'object' && typeof k !== 'function');
}

/**
 * The canonical form of a structured key: equal for keys that are structurally equal, different
 * otherwise. Object fields and map/set entries are sorted, so insertion order does not matter.
 * Unlike JSON, every value keeps its type: `[1n]` and `['1n']`, `[null]` and `[undefined]`,
 * `[NaN]` and `[null]`, a Date and its ISO string are all different keys. Numbers compare as
 * `Map` compares them (`-0` is `0`, `NaN` is `NaN`), so a tuple behaves like its elements.
 *
 * @throws TypeError for a cyclic key, or a symbol or function inside one: they have no value
 * that could be compared across batches.
 */
export function canonicalKey(k: unknown): string {
  return encode(k, []);
}

function encode(v: unknown, path: object[]): string {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return Object.is(v, -0) ? '0' : String(v);
    case 'bigint':
      return `${v}n`;
    case 'boolean':
    case 'undefined':
      return String(v);
    case 'symbol':
    case 'function':
      throw new TypeError(`A ${typeof v} cannot be part of a structured key: keys are compared by value`);
  }
  if (v === null) return 'null';
  const obj = v as object;
  if (path.includes(obj)) throw new TypeError('A structured key must not contain itself (cyclic key)');
  path.push(obj);
  try {
    return encodeObject(obj, path);
  } finally {
    path.pop();
  }
}

function encodeObject(obj: object, path: object[]): string {
  if (Array.isArray(obj)) return `[${obj.map((x: unknown) => encode(x, path)).join(',')}]`;
  if (obj instanceof Date) return `Date(${obj.getTime()})`;
  if (obj instanceof Map) {
    const entries = Array.from(obj, ([k, x]: [unknown, unknown]) => `${encode(k, path)}=>${encode(x, path)}`);
    return `Map{${entries.sort().join(',')}}`;
  }
  if (obj instanceof Set) return `Set{${Array.from(obj, (x: unknown) => encode(x, path)).sort().join(',')}}`;
  const fields = Object.keys(obj)
    .sort()
    .map((name) => `${JSON.stringify(name)}:${encode((obj as Record<string, unknown>)[name], path)}`);
  return `{${fields.join(',')}}`;
}

/** A map keyed by pair-record keys, iterated in first-insertion order within each kind of key. */
export class KeyMap<K, V> {
  private readonly primitives = new Map<K, V>();
  private readonly structured = new Map<string, [K, V]>();

  get size(): number {
    return this.primitives.size + this.structured.size;
  }

  get(key: K): V | undefined {
    if (isPrimitive(key)) return this.primitives.get(key);
    return this.structured.get(canonicalKey(key))?.[1];
  }

  has(key: K): boolean {
    if (isPrimitive(key)) return this.primitives.has(key);
    return this.structured.has(canonicalKey(key));
  }

  set(key: K, value: V): this {
    if (isPrimitive(key)) this.primitives.set(key, value);
    else {
      const id = canonicalKey(key);
      const entry = this.structured.get(id);
      if (entry) entry[1] = value;
      else this.structured.set(id, [key, value]);
    }
    return this;
  }

  delete(key: K): boolean {
    if (isPrimitive(key)) return this.primitives.delete(key);
    return this.structured.delete(canonicalKey(key));
  }

  *entries(): IterableIterator<[K, V]> {
    yield* this.primitives.entries();
    for (const [key, value] of this.structured.values()) yield [key, value];
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }
}

const textEncoder = new TextEncoder();

/** murmur3's fmix32, the same mix as the WASM kernel `hashU32` (assembly/hash.ts). */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over the UTF-8 bytes of `s`, finished with fmix32. Stable across processes. */
function hashString(s: string): number {
  const bytes = textEncoder.encode(s);
  return hashUtf8(bytes, 0, bytes.length);
}

/**
 * The hash {@link hashKey} gives the string whose UTF-8 encoding is `bytes[start, end)`, read
 * straight from the bytes (FNV-1a, finished with fmix32), so a column of UTF-8 keys is hashed
 * without decoding a string per row.
 */
export function hashUtf8(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

/** A stable 32-bit hash of a key, consistent with `KeyMap` equality. */
export function hashKey(key: unknown): number {
  if (typeof key === 'number' && Number.isInteger(key) && key >= -0x80000000 && key <= 0xffffffff) {
    return fmix32(key >>> 0);
  }
  if (typeof key === 'string') return hashString(key);
  if (isPrimitive(key)) return hashString(`${typeof key}:${String(key)}`);
  return hashString(canonicalKey(key));
}

/** The partition, in `[0, numPartitions)`, that a key hashes to. */
export function partitionOf(key: unknown, numPartitions: number): number {
  return numPartitions === 1 ? 0 : hashKey(key) % numPartitions;
}
