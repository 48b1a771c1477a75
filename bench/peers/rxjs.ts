/**
 * Peer: an RxJS pipeline — `groupBy` the key, `mergeMap` each group to its `reduce`d sum. The
 * source emits row indices into the batch's columns (no per-row objects are made for it).
 */
import { firstValueFrom, groupBy, map, mergeMap, range, reduce, toArray } from 'rxjs';

export function rxjsSum<K>(keys: ArrayLike<K>, values: Float64Array): Promise<[K, number][]> {
  return firstValueFrom(
    range(0, keys.length).pipe(
      groupBy((i) => keys[i]!),
      mergeMap((group) =>
        group.pipe(
          reduce((acc, i) => acc + values[i]!, 0),
          map((s): [K, number] => [group.key, s]),
        ),
      ),
      toArray(),
    ),
  );
}
