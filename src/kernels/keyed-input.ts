/**
 * A partition's key and value columns in kernel memory, whatever their JS form: numeric keys
 * are copied, string keys become dictionary ids, values are copied (widened where needed).
 */
import type { KernelExports } from './abi.js';
import type { KeyColumn, PairColumns } from '../batch/columns.js';
import { copyIn, copyNumericKeysIn, copyValuesIn, keyKindOf, type KernelKeys, type KernelValues } from './transfer.js';
import type { StringKeys } from './string-keys.js';
import { KeyKind } from './abi.js';
import { keyFormOf, type KeyForm } from './results.js';

export interface KernelInput {
  readonly keys: KernelKeys;
  readonly values: KernelValues;
  /** Releases the copies. */
  free(): void;
}

/**
 * The key form of a batch (its first partition's), checked against the stream's so far
 * (`streamForm`, undefined before the first batch): a stream's keys keep one type. `who` names
 * the operator in the error.
 */
export function batchKeyForm(parts: readonly PairColumns[], streamForm: KeyForm | undefined, who: string): KeyForm {
  const form = keyFormOf(parts[0]!.keys);
  if (streamForm !== undefined && streamForm !== form) {
    throw new TypeError(`${who}: keys changed from ${streamForm} to ${form} between batches; a stream's keys must keep one type`);
  }
  return form;
}

/**
 * Copies all partitions of a batch in, each checked to have keys of `form` (a TypeError naming
 * `who` if not). On an error frees what it had copied; else the caller frees the inputs.
 */
export function copyBatchIn(k: KernelExports, parts: readonly PairColumns[], form: KeyForm, who: string, strings: () => StringKeys, withValues: boolean): KernelInput[] {
  const inputs: KernelInput[] = [];
  try {
    for (const part of parts) {
      if (keyFormOf(part.keys) !== form) throw new TypeError(`${who}: partitions of one batch have keys of different types`);
      inputs.push(copyPartitionIn(k, part, strings, withValues));
    }
  } catch (error) {
    for (const input of inputs) input.free();
    throw error;
  }
  return inputs;
}

/** Copies one partition in. `withValues` false for count-only aggregates. */
export function copyPartitionIn(k: KernelExports, part: PairColumns, strings: () => StringKeys, withValues: boolean): KernelInput {
  const keys = copyKeysIn(k, part.keys, strings);
  let values: KernelValues | undefined;
  try {
    values = withValues ? copyValuesIn(k, part.values) : { kind: 0, ptr: 0 };
  } catch (error) {
    k.free(keys.ptr);
    throw error;
  }
  const v = values;
  return {
    keys,
    values: v,
    free: () => {
      k.free(keys.ptr);
      if (v.ptr !== 0) k.free(v.ptr);
    },
  };
}

function copyKeysIn(k: KernelExports, keys: KeyColumn, strings: () => StringKeys): KernelKeys {
  switch (keys.kind) {
    case 'utf8':
      return { kind: KeyKind.U32, ptr: strings().encodeUtf8(keys.offsets, keys.bytes), length: keys.offsets.length - 1 };
    case 'dict': {
      // The Arrow dictionary is the batch's own: map its ids to the stream's global ids.
      const global = strings().idsOf(keys.dictionary);
      const ids = new Uint32Array(keys.ids.length);
      for (let i = 0; i < ids.length; i++) ids[i] = global[keys.ids[i]!]!;
      return { kind: KeyKind.U32, ptr: copyIn(k, ids), length: ids.length };
    }
    default:
      return copyNumericKeysIn(k, keys);
  }
}

/** True when every partition's keys map to the same kernel key kind (strings count as u32 ids). */
export function sameKeyKind(parts: readonly PairColumns[]): boolean {
  return parts.every((p) => keyKindOf(p.keys) === keyKindOf(parts[0]!.keys) && isString(p.keys) === isString(parts[0]!.keys));
}

export function isString(keys: KeyColumn): boolean {
  return keys.kind === 'utf8' || keys.kind === 'dict';
}
