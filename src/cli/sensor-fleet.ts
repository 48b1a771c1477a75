/**
 * A simulated sensor fleet for the demo: `sensors` sensors reporting in turn (reading i comes
 * from sensor i mod sensors), each around a base level of its own, with a slow drift (a
 * mean-reverting random walk), gaussian noise, and occasional faults:
 *
 * - spikes: a single reading 10–30 noise deviations off (about 2 in 100,000 readings);
 * - stuck: the sensor repeats one value for 5–60 s (each sensor about once in 3 hours);
 * - dropouts: the sensor sends no value (NaN) for 2–30 s (each sensor about once in 3 hours).
 *
 * Readings are made a batch at a time as an Arrow table (`key` u32 sensor id, `value` f64), so
 * they go to the kernels with no JS object per reading. Everything comes from one seeded PRNG:
 * the same seed, rate and batch interval give the same readings.
 */
import { tableFromArrays, type Table } from 'apache-arrow';

/** Options of a {@link SensorFleet}. */
export interface SensorFleetOptions {
  /** Number of sensors (default 10,000). */
  sensors?: number;
  /** PRNG seed (default 1). */
  seed?: number;
  /** Probability that a reading is a spike (default 2e-5). */
  spikeProbability?: number;
  /** Faults per sensor per hour, for each of stuck and dropout (default 1/3). */
  faultsPerHour?: number;
}

/** What the fleet has injected so far (for the demo's summary). */
export interface FleetCounters {
  readings: number;
  /** Readings sent as NaN because their sensor was in a dropout. */
  missing: number;
  spikes: number;
  stuckEpisodes: number;
  dropoutEpisodes: number;
}

/** sfc32, seeded through splitmix32: small, fast and good enough for a simulation. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  const split = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split();
  let b = split();
  let c = split();
  let d = split();
  return () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
}

/** Standard normal deviates, drawn with Box–Muller from `random`. */
function gaussian(random: () => number): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    const u = 1 - random(); // (0, 1]
    const r = Math.sqrt(-2 * Math.log(u));
    const theta = 2 * Math.PI * random();
    spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  };
}

/** Noise comes from a table of normal deviates picked at random: one PRNG call per reading. */
const NOISE_TABLE_BITS = 16;

export class SensorFleet {
  readonly sensors: number;
  readonly counters: FleetCounters = { readings: 0, missing: 0, spikes: 0, stuckEpisodes: 0, dropoutEpisodes: 0 };
  private readonly random: () => number;
  private readonly normal: () => number;
  private readonly noiseTable = new Float64Array(1 << NOISE_TABLE_BITS);
  private readonly base: Float64Array;
  private readonly level: Float64Array;
  private readonly noise: Float64Array;
  private readonly drift: Float64Array;
  private readonly stuckUntil: Float64Array;
  private readonly stuckValue: Float64Array;
  private readonly silentUntil: Float64Array;
  private readonly spikeProbability: number;
  private readonly faultRatePerMs: number;
  private lastTime: number | undefined;
  /** Readings until the next spike (a geometric draw, so no random number per reading). */
  private untilSpike: number;

  constructor(options: SensorFleetOptions = {}) {
    const n = options.sensors ?? 10_000;
    if (!Number.isSafeInteger(n) || n < 1 || n > 0xffffffff) throw new RangeError(`sensors must be a positive integer, got ${n}`);
    this.sensors = n;
    this.random = prng(options.seed ?? 1);
    this.normal = gaussian(this.random);
    this.spikeProbability = options.spikeProbability ?? 2e-5;
    this.faultRatePerMs = (options.faultsPerHour ?? 1 / 3) / 3_600_000;
    for (let i = 0; i < this.noiseTable.length; i++) this.noiseTable[i] = this.normal();
    this.base = new Float64Array(n);
    this.level = new Float64Array(n);
    this.noise = new Float64Array(n);
    this.drift = new Float64Array(n);
    this.stuckUntil = new Float64Array(n).fill(-Infinity);
    this.stuckValue = new Float64Array(n);
    this.silentUntil = new Float64Array(n).fill(-Infinity);
    for (let s = 0; s < n; s++) {
      // Temperature-like: 20 °C ± 5 between sensors, noise 0.1–0.5, drift ~0.02 per √s.
      this.base[s] = 20 + 5 * this.normal();
      this.level[s] = this.base[s]!;
      this.noise[s] = 0.1 + 0.4 * this.random();
      this.drift[s] = 0.01 + 0.02 * this.random();
    }
    this.untilSpike = this.nextSpikeGap();
  }

  /** The readings `first .. first + count − 1` at batch time `time`: a `key`/`value` Arrow table. */
  readings(first: number, count: number, time: number): Table {
    this.advance(time);
    const n = this.sensors;
    const keys = new Uint32Array(count);
    const values = new Float64Array(count);
    const table = this.noiseTable;
    const mask = table.length - 1;
    let sensor = first % n;
    let missing = 0;
    for (let i = 0; i < count; i++) {
      keys[i] = sensor;
      let v: number;
      if (this.silentUntil[sensor]! > time) {
        v = Number.NaN;
        missing++;
      } else if (this.stuckUntil[sensor]! > time) {
        v = this.stuckValue[sensor]!;
      } else {
        v = this.level[sensor]! + this.noise[sensor]! * table[((this.random() * 4294967296) >>> (32 - NOISE_TABLE_BITS)) & mask]!;
        if (--this.untilSpike <= 0) {
          v += (this.random() < 0.5 ? -1 : 1) * (10 + 20 * this.random()) * this.noise[sensor]!;
          this.counters.spikes++;
          this.untilSpike = this.nextSpikeGap();
        }
      }
      values[i] = v;
      if (++sensor === n) sensor = 0;
    }
    this.counters.readings += count;
    this.counters.missing += missing;
    return tableFromArrays({ key: keys, value: values });
  }

  /** Moves drift and faults on to `time` (once per batch). */
  private advance(time: number): void {
    const dt = this.lastTime === undefined ? 0 : Math.max(0, time - this.lastTime);
    this.lastTime = time;
    if (dt === 0) return;
    const seconds = dt / 1000;
    const revert = Math.min(1, seconds / 600); // pulled back towards the base over ~10 minutes
    const sqrtDt = Math.sqrt(seconds);
    const pFault = 1 - Math.exp(-this.faultRatePerMs * dt);
    for (let s = 0; s < this.sensors; s++) {
      this.level[s] = this.level[s]! + revert * (this.base[s]! - this.level[s]!) + this.drift[s]! * sqrtDt * this.normal();
      if (this.stuckUntil[s]! <= time && this.silentUntil[s]! <= time) {
        const r = this.random();
        if (r < pFault) {
          this.stuckUntil[s] = time + 5_000 + 55_000 * this.random();
          this.stuckValue[s] = Math.round(this.level[s]! * 10) / 10;
          this.counters.stuckEpisodes++;
        } else if (r < 2 * pFault) {
          this.silentUntil[s] = time + 2_000 + 28_000 * this.random();
          this.counters.dropoutEpisodes++;
        }
      }
    }
  }

  private nextSpikeGap(): number {
    const p = this.spikeProbability;
    if (p <= 0) return Infinity;
    return 1 + Math.floor(Math.log(1 - this.random()) / Math.log(1 - p));
  }
}
