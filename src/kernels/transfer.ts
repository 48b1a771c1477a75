/**
 * Moving columns between JS typed arrays and the kernels' shared memory. Views over
 * `memory.buffer` are made per call: a grown memory leaves old views at their old length
 * (shared memory) or detached, so a cached view would read stale data or write nowhere.
 */
import { KeyKind, ValueKind, type KernelExports } from './abi.js';
import type { KeyColumn, ValueColumn } from '../batch/columns.js';

type NumericArray = Uint8Array | Int32Array | Uint32Array | Float64Array | BigInt64Array;
type NumericArrayCtor<A extends NumericArray> = { new (buffer: ArrayBufferLike, byteOffset: number, length: number): A; BYTES_PER_ELEMENT: number };

/** Allocates a block in kernel memory, throwing a clear error when memory is exhausted. */
export function allocOrThrow(k: KernelExports, bytes: number): number {
  const ptr = k.alloc(Math.max(8, bytes));
  if (ptr === 0) {
    throw new RangeError(`Sluice kernels are out of memory allocating ${bytes} bytes; use smaller batches or fewer keys per stream`);
  }
  return ptr;
}

/** Copies `data` into a new block and returns its address. */
export function copyIn(k: KernelExports, data: NumericArray): number {
  const ptr = allocOrThrow(k, data.byteLength);
  new Uint8Array(k.memory.buffer, ptr, data.byteLength).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return ptr;
}

/** A copy, in JS memory, of `length` elements at `ptr`. */
export function copyOut<A extends NumericArray>(k: KernelExports, ptr: number, length: number, Ctor: NumericArrayCtor<A>): A {
  return new Ctor(k.memory.buffer, ptr, length).slice() as A;
}

/** A key column in kernel memory, ready for a kernel call. */
export interface KernelKeys {
  readonly kind: KeyKind;
  readonly ptr: number;
  readonly length: number;
}

/** A value column in kernel memory (`ptr` 0 when the aggregate needs no values). */
export interface KernelValues {
  readonly kind: ValueKind;
  readonly ptr: number;
}

/** The element type kernels use for a key column, once strings are dictionary ids. */
export function keyKindOf(keys: KeyColumn): KeyKind {
  switch (keys.kind) {
    case 'f64':
      return KeyKind.F64;
    case 'i64':
      return KeyKind.U64;
    default:
      return KeyKind.U32; // u32, i32 (bit pattern), dictionary ids
  }
}

/** The element type kernels use for a value column. */
export function valueKindOf(values: ValueColumn): ValueKind {
  switch (values.kind) {
    case 'i32':
      return ValueKind.I32;
    case 'i64':
      return ValueKind.I64;
    default:
      return ValueKind.F64; // f64; f32 and u32 are widened on copy
  }
}

/** Copies a numeric key column (not strings) into kernel memory. */
export function copyNumericKeysIn(k: KernelExports, keys: Exclude<KeyColumn, { kind: 'utf8' | 'dict' }>): KernelKeys {
  return { kind: keyKindOf(keys), ptr: copyIn(k, keys.data), length: keys.data.length };
}

/** Copies a value column into kernel memory, widening f32 and u32 to f64. */
export function copyValuesIn(k: KernelExports, values: ValueColumn): KernelValues {
  switch (values.kind) {
    case 'f64':
    case 'i32':
    case 'i64':
      return { kind: valueKindOf(values), ptr: copyIn(k, values.data) };
    case 'f32':
    case 'u32':
      return { kind: ValueKind.F64, ptr: copyIn(k, Float64Array.from(values.data)) };
    case 'stats':
      throw new TypeError('A stats result cannot be aggregated again; aggregate the original values');
  }
}

/** Byte size of one key of a kind. */
export function keyBytes(kind: KeyKind): number {
  return kind === KeyKind.U32 ? 4 : 8;
}
