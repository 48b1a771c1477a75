/**
 * String keys at integer speed: the kernel dictionary maps each distinct string to a dense u32
 * id, kept across batches, so string-keyed streams aggregate on u32 tables. This side keeps the
 * decoded strings by id, decoding each string once, when it first appears.
 */
import type { KernelExports } from './abi.js';
import { allocOrThrow, copyIn } from './transfer.js';

const decoder = new TextDecoder();
const encoder = new TextEncoder();

export class StringKeys {
  private readonly dict: number;
  /** The strings by id; only ever appended to, so a result may share it. */
  readonly strings: string[] = [];

  constructor(private readonly k: KernelExports) {
    this.dict = k.dictNew(1024);
    if (this.dict === 0) throw new RangeError('Sluice kernels are out of memory creating a string dictionary');
  }

  /**
   * Encodes an Arrow Utf8 column (absolute `offsets` into `bytes`) and returns the address of
   * its n u32 ids in kernel memory (free it with `k.free`).
   */
  encodeUtf8(offsets: Int32Array, bytes: Uint8Array): number {
    const n = offsets.length - 1;
    const start = offsets[0]!;
    const rebased = new Int32Array(n + 1);
    for (let i = 0; i <= n; i++) rebased[i] = offsets[i]! - start;
    const offsetsPtr = copyIn(this.k, rebased);
    const bytesPtr = copyIn(this.k, bytes.subarray(start, offsets[n]!));
    try {
      const ids = allocOrThrow(this.k, n * 4);
      this.k.dictEncode(this.dict, offsetsPtr, bytesPtr, n, ids);
      this.syncStrings();
      return ids;
    } finally {
      this.k.free(offsetsPtr);
      this.k.free(bytesPtr);
    }
  }

  /** Global ids of the given strings (e.g. an Arrow dictionary), in JS memory. */
  idsOf(strings: readonly string[]): Uint32Array {
    const encoded = strings.map((s) => encoder.encode(s));
    const offsets = new Int32Array(strings.length + 1);
    for (let i = 0; i < encoded.length; i++) offsets[i + 1] = offsets[i]! + encoded[i]!.length;
    const bytes = new Uint8Array(offsets[strings.length]!);
    encoded.forEach((e, i) => bytes.set(e, offsets[i]!));
    const ids = this.encodeUtf8(offsets, bytes);
    try {
      return new Uint32Array(this.k.memory.buffer, ids, strings.length).slice();
    } finally {
      this.k.free(ids);
    }
  }

  private syncStrings(): void {
    const size = this.k.dictSize(this.dict);
    for (let id = this.strings.length; id < size; id++) {
      const ptr = this.k.dictBytesOf(this.dict, id);
      const len = this.k.dictLengthOf(this.dict, id);
      // decode() cannot read a SharedArrayBuffer view: copy the bytes out first.
      this.strings.push(decoder.decode(new Uint8Array(this.k.memory.buffer, ptr, len).slice()));
    }
  }

  free(): void {
    this.k.dictFree(this.dict);
  }
}
