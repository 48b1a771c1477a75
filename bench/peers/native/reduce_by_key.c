/*
 * Native reference of the kernel's algorithms, built by the benchmark with gcc -O3 -march=native:
 * murmur3 fmix32, open addressing with linear probing, a power-of-two capacity doubled at the
 * kernel's size-dependent load factor and its two probe regimes, the kernel's entry layout and
 * O(1) generation clear; for strings, xxHash32 and a dictionary to dense u32 ids, then the same
 * u32 table. It reads the very batch the JS side wrote, and times
 * only the per-batch work (clear the kept table + aggregate; for words, encode + aggregate).
 *
 * usage: reduce_by_key u32   DATA TABLE_HINT MIN_ITERS MIN_MS WARMUP [RESULT]
 *        reduce_by_key words DATA TABLE_HINT:DICT_HINT MIN_ITERS MIN_MS WARMUP [RESULT]
 * DATA (little-endian): u32 n, then u32 keys[n] (u32) or i32 offsets[n+1] + u32 nbytes + bytes
 * (words), zero padding to 8 bytes, then f64 values[n].
 * Prints one JSON line: {"samples_ms":[...],"size":S,"capacity":C,"sum":X}. RESULT, if given,
 * receives u32 S, u32 keys[S] (words: ids), f64 sums[S] in slot order (words: then the
 * dictionary: u32 D, i32 offsets[D+1] + bytes, in id order).
 */
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the kernel's aggregation table (assembly/reduce-by-key.ts, assembly/common.ts), SUM only.
 * Keep in step with the kernel (the benchmark checks that both tables list their keys in the
 * same slot order, which holds only if hash, capacity, growth and probing all agree):
 *   - 16-byte entries { u32 key, u32 gen, f64 sum }; a slot is occupied iff its gen equals the
 *     table's, so clear is O(1) (bump gen); a hit is one u64 compare of gen<<32 | key;
 *   - the maximum load depends on the slot array's size: up to SPARSE_BYTES (1 MiB) it doubles
 *     at 1/4 full, and slots j and j+1 are compared without a branch before any probe loop;
 *     above, it doubles at 3/4;
 *   - rows go in blocks of BLOCK (32): pass 1 writes each row's probe word (gen << 32 | key)
 *     and home entry, and in the dense regime brings each home slot's line in; pass 2
 *     compares the home slot (sparse: and the next one, which may be the spare entry past
 *     the end), inserts into an empty home slot, and otherwise probes on; a new entry takes the
 *     row's value as its sum. The kernel brings a line in with a store of a zero byte into the
 *     gen word's always-zero top byte (WASM has no prefetch instruction; a store does not hold
 *     up retirement); here it is __builtin_prefetch for writing, the native instruction for
 *     that step. -DTOUCH=1 builds the kernel's exact store, -DTOUCH=2 a plain load, for
 *     comparison (docs/kernels.md, bench/README.md);
 *   - an insert that finds size >= growAt returns; the table grows and the row is redone. */
typedef struct {
  uint32_t key;
  uint32_t gen;
  double sum;
} Entry;

#define SHIFT 4 /* log2 sizeof(Entry) */
#define SPARSE_BYTES (1u << 20)
#define BLOCK 32
/* How the dense regime brings a block's home slots in (-DTOUCH=...): */
#define TOUCH_PREFETCH 0 /* __builtin_prefetch for writing (prefetchw): the default */
#define TOUCH_STORE 1    /* the kernel's instruction: a zero byte into the gen word's top byte */
#define TOUCH_LOAD 2     /* a plain load (the kernel's earlier stand-in) */
#ifndef TOUCH
#define TOUCH TOUCH_PREFETCH
#endif
/* Generations stay below 2^24, as in the kernel (whose touch stores rely on it). */
#define GEN_LIMIT (1u << 24)

/* murmur3's fmix32 (assembly/hash.ts) */
static inline uint32_t fmix32(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

static uint32_t next_pow2(uint32_t x) { return x <= 1 ? 1 : 1u << (32 - __builtin_clz(x - 1)); }

static inline uint32_t grow_at(uint32_t cap) {
  return ((uint64_t)cap << SHIFT) <= SPARSE_BYTES ? cap >> 2 : cap - (cap >> 2);
}

static uint32_t capacity_for(uint32_t hint) {
  uint32_t h = hint < 1 ? 1 : hint, cap = 16;
  while (grow_at(cap) < h && cap < (1u << 30)) cap <<= 1;
  return cap;
}

typedef struct {
  Entry *e;
  uint32_t cap, size, growAt, gen;
  uint32_t sink; /* where TOUCH_LOAD's loads go */
} Table;

/* cap slots and, as in the kernel (slotBytes), one spare entry past the last, never occupied:
 * the sparse regime reads slot j + 1 without wrapping. */
static Entry *alloc_slots(uint32_t cap) {
  const size_t bytes = ((size_t)(cap + 1) * sizeof(Entry) + 63) & ~(size_t)63;
  Entry *e = aligned_alloc(64, bytes);
  if (!e) { perror("aligned_alloc"); exit(2); }
  memset(e, 0, bytes);
  return e;
}

static void table_init(Table *t, uint32_t cap) {
  t->e = alloc_slots(cap);
  t->cap = cap;
  t->size = 0;
  t->growAt = grow_at(cap);
  t->gen = 1;
  t->sink = 0;
}

static void table_grow(Table *t) {
  uint32_t cap = t->cap << 1, mask = cap - 1;
  Entry *e = alloc_slots(cap);
  for (uint32_t i = 0; i < t->cap; i++) {
    if (t->e[i].gen != t->gen) continue;
    uint32_t j = fmix32(t->e[i].key) & mask;
    while (e[j].gen == t->gen) j = (j + 1) & mask;
    e[j] = t->e[i];
  }
  free(t->e);
  t->e = e;
  t->cap = cap;
  t->growAt = grow_at(cap);
}

static void table_clear(Table *t) {
  if (++t->gen == GEN_LIMIT) {
    memset(t->e, 0, (size_t)t->cap * sizeof(Entry));
    t->gen = 1;
  }
  t->size = 0;
}

static inline uint64_t word_at(const Entry *p) {
  uint64_t w;
  memcpy(&w, p, 8);
  return w;
}

/* Rows from `from` in one regime, in blocks of BLOCK rows (assembly/reduce-by-key.ts,
 * addRowsFrom): pass 1 writes each row's probe word (gen << 32 | key, one compare with an
 * entry's first 8 bytes) and its home entry (gcc vectorises it, as the kernel does with i32x4
 * and i64x2); in the dense regime it then brings the home entries' lines in (TOUCH: see the
 * header); pass 2 compares the home entry (and, sparse, the next one, which may be the spare
 * entry past the end) and otherwise runs the probe loop, then folds, rows in input order.
 * Returns n, or the row at which the table must grow. */
static inline __attribute__((always_inline)) uint32_t add_from(Table *t, const uint32_t *keys, const double *values, uint32_t from, uint32_t n, int sparse) {
  Entry *const e = t->e;
  const uint32_t mask = t->cap - 1, growAt = t->growAt, gen = t->gen;
  const uint64_t genWord = (uint64_t)gen << 32;
  uint32_t size = t->size;
  uint64_t want[BLOCK];
  Entry *home[BLOCK];
  for (uint32_t b = from; b < n; b += BLOCK) {
    const uint32_t nb = n - b < BLOCK ? n - b : BLOCK;
    for (uint32_t r = 0; r < nb; r++) {
      want[r] = genWord | keys[b + r];
      home[r] = &e[fmix32(keys[b + r]) & mask];
    }
    if (!sparse) {
#if TOUCH == TOUCH_STORE
      for (uint32_t r = 0; r < nb; r++) ((volatile uint8_t *)home[r])[7] = 0; /* gen's top byte: always 0 */
#elif TOUCH == TOUCH_LOAD
      uint32_t s = 0;
      for (uint32_t r = 0; r < nb; r++) s += *(volatile uint32_t *)&home[r]->key;
      t->sink += s;
#else
      for (uint32_t r = 0; r < nb; r++) __builtin_prefetch(home[r], 1);
#endif
    }
    for (uint32_t r = 0; r < nb; r++) {
      const uint64_t w = want[r];
      Entry *p = home[r];
      const uint64_t x = word_at(p);
      const int hit0 = x == w, hit1 = sparse && word_at(p + 1) == w;
      if (hit0 | hit1) {
        p = hit0 ? p : p + 1;
        p->sum += values[b + r];
        continue;
      }
      if ((uint32_t)(x >> 32) == gen) {
        /* the home slot holds another key: probe on */
        uint32_t j = (uint32_t)(p - e);
        int found = 0;
        for (;;) {
          j = (j + 1) & mask;
          p = &e[j];
          const uint64_t y = word_at(p);
          if (y == w) { found = 1; break; }
          if ((uint32_t)(y >> 32) != gen) break;
        }
        if (found) {
          p->sum += values[b + r];
          continue;
        }
      }
      /* absent: insert at the empty slot that ends the run, with the row's value as its sum
       * (the fold of the identity -0 with it, bit for bit) */
      if (size >= growAt) {
        t->size = size;
        return b + r;
      }
      size++;
      p->key = (uint32_t)w;
      p->gen = gen;
      p->sum = values[b + r];
    }
  }
  t->size = size;
  return n;
}

static void table_add(Table *t, const uint32_t *keys, const double *values, uint32_t n) {
  uint32_t i = 0;
  for (;;) {
    if (((uint64_t)t->cap << SHIFT) <= SPARSE_BYTES) i = add_from(t, keys, values, i, n, 1);
    else i = add_from(t, keys, values, i, n, 0);
    if (i >= n) break;
    table_grow(t);
  }
}

/* ---- xxHash32 and the string dictionary: keep in step with assembly/dictionary.ts */
#define P1 0x9E3779B1u
#define P2 0x85EBCA77u
#define P3 0xC2B2AE3Du
#define P4 0x27D4EB2Fu
#define P5 0x165667B1u

static inline uint32_t rotl(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }
static inline uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

static uint32_t xxh32(const uint8_t *p, uint32_t len, uint32_t seed) {
  const uint8_t *end = p + len;
  uint32_t h;
  if (len >= 16) {
    uint32_t v1 = seed + P1 + P2, v2 = seed + P2, v3 = seed, v4 = seed - P1;
    const uint8_t *limit = end - 16;
    do {
      v1 = rotl(v1 + rd32(p) * P2, 13) * P1;
      v2 = rotl(v2 + rd32(p + 4) * P2, 13) * P1;
      v3 = rotl(v3 + rd32(p + 8) * P2, 13) * P1;
      v4 = rotl(v4 + rd32(p + 12) * P2, 13) * P1;
      p += 16;
    } while (p <= limit);
    h = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18);
  } else {
    h = seed + P5;
  }
  h += len;
  while (p + 4 <= end) { h = rotl(h + rd32(p) * P3, 17) * P4; p += 4; }
  while (p < end) { h = rotl(h + (*p) * P5, 11) * P1; p++; }
  h ^= h >> 15; h *= P2; h ^= h >> 13; h *= P3; h ^= h >> 16;
  return h;
}

/* The kernel's dictionary (assembly/dictionary.ts): 8-byte slots { u32 hash, u32 id + 1 } (0 =
 * empty), at most half full; per id { u32 arena offset, u32 length }; the bytes back to back in
 * an arena. A lookup compares the stored hash, then the length, then the bytes. Keep in step. */
typedef struct {
  uint64_t *slots;
  uint32_t cap, size, growAt;
  uint32_t *entries; /* 2 words per id */
  uint32_t entryCap;
  uint8_t *arena;
  uint32_t arenaUsed, arenaCap;
} Dict;

static void dict_init(Dict *d, uint32_t capacityHint) {
  uint32_t hint = capacityHint < 8 ? 8 : capacityHint > (1u << 24) ? (1u << 24) : capacityHint;
  d->cap = next_pow2(hint * 2);
  d->slots = calloc(d->cap, 8);
  d->size = 0;
  d->growAt = d->cap >> 1;
  d->entries = malloc((size_t)hint * 8);
  d->entryCap = hint;
  d->arenaCap = hint * 16;
  d->arena = malloc(d->arenaCap);
  d->arenaUsed = 0;
}

static void dict_grow_slots(Dict *d) {
  uint32_t cap = d->cap << 1, mask = cap - 1;
  uint64_t *slots = calloc(cap, 8);
  for (uint32_t i = 0; i < d->cap; i++) {
    uint64_t w = d->slots[i];
    if ((uint32_t)(w >> 32) == 0) continue;
    uint32_t j = (uint32_t)w & mask;
    while ((uint32_t)(slots[j] >> 32) != 0) j = (j + 1) & mask;
    slots[j] = w;
  }
  free(d->slots);
  d->slots = slots;
  d->cap = cap;
  d->growAt = cap >> 1;
}

static uint32_t dict_append(Dict *d, const uint8_t *src, uint32_t len) {
  uint32_t id = d->size;
  if (id == d->entryCap) {
    d->entryCap <<= 1;
    d->entries = realloc(d->entries, (size_t)d->entryCap * 8);
  }
  if ((uint64_t)d->arenaUsed + len > d->arenaCap) {
    uint64_t cap = (uint64_t)d->arenaCap << 1;
    if (cap < (uint64_t)d->arenaUsed + len) cap = (uint64_t)d->arenaUsed + len;
    d->arena = realloc(d->arena, (size_t)cap);
    d->arenaCap = (uint32_t)cap;
  }
  memcpy(d->arena + d->arenaUsed, src, len);
  d->entries[2 * id] = d->arenaUsed;
  d->entries[2 * id + 1] = len;
  d->arenaUsed += len;
  d->size = id + 1;
  return id;
}

static void dict_encode(Dict *d, const int32_t *offsets, const uint8_t *bytes, uint32_t n, uint32_t *ids) {
  uint32_t mask = d->cap - 1;
  int32_t start = offsets[0];
  for (uint32_t i = 0; i < n; i++) {
    int32_t end = offsets[i + 1];
    const uint8_t *src = bytes + start;
    uint32_t len = (uint32_t)(end - start);
    start = end;
    uint32_t h = xxh32(src, len, 0), j = h & mask, id;
    for (;;) {
      uint64_t w = d->slots[j];
      uint32_t id1 = (uint32_t)(w >> 32);
      if (id1 == 0) {
        if (d->size >= d->growAt) {
          dict_grow_slots(d);
          mask = d->cap - 1;
          j = h & mask;
          while ((uint32_t)(d->slots[j] >> 32) != 0) j = (j + 1) & mask;
        }
        id = dict_append(d, src, len);
        d->slots[j] = ((uint64_t)(id + 1) << 32) | h;
        break;
      }
      if ((uint32_t)w == h) {
        const uint32_t *e = d->entries + 2 * (id1 - 1);
        if (e[1] == len && memcmp(d->arena + e[0], src, len) == 0) { id = id1 - 1; break; }
      }
      j = (j + 1) & mask;
    }
    ids[i] = id;
  }
}

/* ---- driver */
static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static uint8_t *read_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f) { perror(path); exit(2); }
  fseek(f, 0, SEEK_END);
  long sz = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *buf = aligned_alloc(64, ((size_t)sz + 63) & ~(size_t)63);
  if (!buf || fread(buf, 1, (size_t)sz, f) != (size_t)sz) { fprintf(stderr, "cannot read %s\n", path); exit(2); }
  fclose(f);
  *size = (size_t)sz;
  return buf;
}

int main(int argc, char **argv) {
  if (argc < 7) {
    fprintf(stderr, "usage: %s u32|words DATA TABLE_HINT[:DICT_HINT] MIN_ITERS MIN_MS WARMUP [RESULT]\n", argv[0]);
    return 2;
  }
  int words = strcmp(argv[1], "words") == 0;
  size_t size;
  uint8_t *buf = read_file(argv[2], &size);
  char *rest;
  uint32_t hint = (uint32_t)strtoul(argv[3], &rest, 10);
  uint32_t dictHint = *rest == ':' ? (uint32_t)strtoul(rest + 1, 0, 10) : hint;
  int min_iters = atoi(argv[4]);
  double min_ms = atof(argv[5]);
  int warmup = atoi(argv[6]);

  uint32_t n;
  memcpy(&n, buf, 4);
  size_t at = 4;
  const uint32_t *keys = 0;
  const int32_t *offsets = 0;
  const uint8_t *bytes = 0;
  if (words) {
    offsets = (const int32_t *)(buf + at);
    at += (size_t)(n + 1) * 4;
    uint32_t nbytes;
    memcpy(&nbytes, buf + at, 4);
    at += 4;
    bytes = buf + at;
    at += nbytes;
  } else {
    keys = (const uint32_t *)(buf + at);
    at += (size_t)n * 4;
  }
  at = (at + 7) & ~(size_t)7;
  if (at + (size_t)n * 8 > size) { fprintf(stderr, "truncated data file\n"); return 2; }
  const double *values = (const double *)(buf + at);

  Table t;
  table_init(&t, capacity_for(hint));
  Dict d;
  uint32_t *ids = 0;
  if (words) {
    dict_init(&d, dictHint);
    ids = aligned_alloc(64, ((size_t)n * 4 + 63) & ~(size_t)63);
  }

  int cap_samples = 1 << 16;
  double *samples = malloc(sizeof(double) * cap_samples);
  int ns = 0;
  double spent = 0;
  for (int it = 0; it < warmup + min_iters || spent < min_ms; it++) {
    double t0 = now_ms();
    table_clear(&t);
    if (words) {
      dict_encode(&d, offsets, bytes, n, ids);
      table_add(&t, ids, values, n);
    } else {
      table_add(&t, keys, values, n);
    }
    double dt = now_ms() - t0;
    if (it >= warmup) {
      if (ns < cap_samples) samples[ns++] = dt;
      spent += dt;
    }
  }

  double total = 0;
  for (uint32_t s = 0; s < t.cap; s++) if (t.e[s].gen == t.gen) total += t.e[s].sum;
  printf("{\"samples_ms\":[");
  for (int i = 0; i < ns; i++) printf(i ? ",%.6f" : "%.6f", samples[i]);
  printf("],\"size\":%u,\"capacity\":%u,\"sum\":%.17g}\n", t.size, t.cap, total);

  if (argc > 7) {
    FILE *f = fopen(argv[7], "wb");
    if (!f) { perror(argv[7]); return 2; }
    fwrite(&t.size, 4, 1, f);
    for (uint32_t s = 0; s < t.cap; s++) if (t.e[s].gen == t.gen) fwrite(&t.e[s].key, 4, 1, f);
    for (uint32_t s = 0; s < t.cap; s++) if (t.e[s].gen == t.gen) fwrite(&t.e[s].sum, 8, 1, f);
    if (words) {
      fwrite(&d.size, 4, 1, f);
      int32_t off = 0;
      for (uint32_t id = 0; id < d.size; id++) { fwrite(&off, 4, 1, f); off += (int32_t)d.entries[2 * id + 1]; }
      fwrite(&off, 4, 1, f);
      for (uint32_t id = 0; id < d.size; id++) fwrite(d.arena + d.entries[2 * id], 1, d.entries[2 * id + 1], f);
    }
    fclose(f);
  }
  return 0;
}
