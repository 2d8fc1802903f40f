// A declarative usage profile per container (the pod annotation `sim.attune.dev/profile`, YAML or
// JSON) and a pure, deterministic model of the demand it describes. The same function feeds the
// backfilled history and the live simulated kubelet, so both agree sample for sample, and tests can
// compute the exact quantiles Prometheus should report.
import { load } from 'js-yaml';
import { z } from 'zod';
import { parseDuration, parseQuantity } from './units.ts';

export const PROFILE_ANNOTATION = 'sim.attune.dev/profile';
/** Noise is constant within aligned buckets of this length (and the model sub-steps at it). */
export const NOISE_STEP_MS = 15_000;
export const DAY_MS = 86_400_000;

/** One resource's demand, normalised: base in cores or bytes, fractions of base, durations in ms. */
export interface SeriesProfile {
  base: number;
  /** Amplitude of the daily sine (UTC time of day), as a fraction of base. */
  dailyAmplitude: number;
  /** Uniform noise in ±noise × base, constant per NOISE_STEP_MS bucket. */
  noise: number;
  /** Linear growth per day since the container started (a slow leak), fraction of base. */
  growthPerDay: number;
  /** Adds magnitude × base while (t mod everyMs) < durationMs: absolute time, like a cron job. */
  spikes?: { everyMs: number; durationMs: number; magnitude: number };
  /** Adds magnitude × base at start, decaying linearly to 0 over durationMs. */
  startupPeak?: { magnitude: number; durationMs: number };
}

export interface Readiness {
  /** The container is NotReady while the ratio of throttled CFS periods exceeds this (0..1). */
  notReadyWhenThrottledAbove?: number;
}

/** A container's profile as written: every part optional, filled in by `profileFor`. */
export interface ContainerProfileSpec {
  cpu?: SeriesProfile;
  memory?: SeriesProfile;
  readiness?: Readiness;
}

/** A complete profile, what the container model consumes. */
export interface ContainerProfile {
  cpu: SeriesProfile;
  memory: SeriesProfile;
  readiness: Readiness;
}

export interface PodProfile {
  containers: Record<string, ContainerProfileSpec>;
  default?: ContainerProfileSpec;
}

export const DEFAULT_CONTAINER_PROFILE: ContainerProfile = Object.freeze({
  cpu: Object.freeze({ base: 0.1, dailyAmplitude: 0, noise: 0.05, growthPerDay: 0 }),
  memory: Object.freeze({ base: 128 * 2 ** 20, dailyAmplitude: 0, noise: 0.02, growthPerDay: 0 }),
  readiness: Object.freeze({}),
});

// ---- validation -------------------------------------------------------------------------------

/** A schema that turns `raw` into a value or reports one issue with our own message. */
function field<T>(convert: (raw: unknown) => T | string) {
  return z.unknown().transform((raw, ctx) => {
    const out = convert(raw);
    if (typeof out === 'string') {
      ctx.addIssue({ code: 'custom', message: out });
      return z.NEVER;
    }
    return out;
  });
}

const show = (raw: unknown) => (typeof raw === 'string' ? `"${raw}"` : JSON.stringify(raw) ?? String(raw));

const quantity = field((raw) => {
  if (raw === undefined) return 'required';
  const v = typeof raw === 'number' ? raw : typeof raw === 'string' ? parseQuantity(raw) : undefined;
  if (v === undefined || !Number.isFinite(v)) return `invalid quantity ${show(raw)}`;
  if (v < 0) return `must not be negative, got ${show(raw)}`;
  return v;
});

const duration = field((raw) => {
  if (raw === undefined) return 'required';
  const ms = typeof raw === 'string' ? parseDuration(raw) : undefined;
  if (ms === undefined) return `invalid duration ${show(raw)} (use e.g. "30s", "5m", "2h", "7d")`;
  if (ms <= 0) return `must be longer than 0, got ${show(raw)}`;
  return ms;
});

const fraction = (max = Infinity) =>
  field((raw) => {
    if (typeof raw !== 'number' || !Number.isFinite(raw)) return `expected a number, got ${show(raw)}`;
    if (raw < 0 || raw > max) return `must be between 0 and ${max}, got ${raw}`;
    return raw;
  });

const seriesSchema = z
  .strictObject({
    base: quantity,
    dailyAmplitude: fraction().optional(),
    noise: fraction().optional(),
    growthPerDay: fraction().optional(),
    spikes: z.strictObject({ every: duration, duration, magnitude: fraction() }).optional(),
    startupPeak: z.strictObject({ magnitude: fraction(), duration }).optional(),
  })
  .transform((s): SeriesProfile => ({
    base: s.base,
    dailyAmplitude: s.dailyAmplitude ?? 0,
    noise: s.noise ?? 0,
    growthPerDay: s.growthPerDay ?? 0,
    ...(s.spikes && { spikes: { everyMs: s.spikes.every, durationMs: s.spikes.duration, magnitude: s.spikes.magnitude } }),
    ...(s.startupPeak && { startupPeak: { magnitude: s.startupPeak.magnitude, durationMs: s.startupPeak.duration } }),
  }));

const containerSchema = z.strictObject({
  cpu: seriesSchema.optional(),
  memory: seriesSchema.optional(),
  readiness: z.strictObject({ notReadyWhenThrottledAbove: fraction(1).optional() }).optional(),
});

const podSchema = z.strictObject({
  containers: z.record(z.string(), containerSchema).optional(),
  default: containerSchema.optional(),
});

function issueLine(issue: z.core.$ZodIssue): string {
  const path = issue.path.length ? issue.path.map(String).join('.') : '(profile)';
  let message = issue.message.replace(/^Invalid input: /, '');
  if (issue.code === 'unrecognized_keys') message = `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  else if (issue.code === 'invalid_type' && issue.path.length === 0) message = 'expected a mapping with `containers` and/or `default`';
  return `${path}: ${message}`;
}

export type ParseResult = { ok: true; profile: PodProfile } | { ok: false; error: string };

/** Parses an annotation value (YAML or JSON). Never throws; `error` is one line naming the field. */
export function parseProfile(text: string): ParseResult {
  if (text.trim() === '') return { ok: false, error: '(profile): empty' };
  let doc: unknown;
  try {
    doc = load(text);
  } catch (e) {
    const reason = (e as { reason?: string }).reason ?? (e instanceof Error ? e.message : String(e));
    const mark = (e as { mark?: { line: number; column: number } }).mark;
    return { ok: false, error: `invalid YAML${mark ? ` at line ${mark.line + 1}, column ${mark.column + 1}` : ''}: ${reason}` };
  }
  const parsed = podSchema.safeParse(doc);
  if (!parsed.success) return { ok: false, error: issueLine(parsed.error.issues[0]!) };
  const { containers = {}, default: dflt } = parsed.data;
  const profile: PodProfile = { containers };
  if (dflt) profile.default = dflt;
  return { ok: true, profile };
}

/** The profile of a pod from its annotations: none without the annotation, else parsed or an error. */
export function profileFromAnnotations(annotations: Record<string, string> | undefined): { profile?: PodProfile; error?: string } {
  const text = annotations?.[PROFILE_ANNOTATION];
  if (text === undefined) return {};
  const r = parseProfile(text);
  return r.ok ? { profile: r.profile } : { error: `annotation ${PROFILE_ANNOTATION}: ${r.error}` };
}

/** Per resource: the container's entry, else the pod's `default`, else DEFAULT_CONTAINER_PROFILE. */
export function profileFor(profile: PodProfile | undefined, container: string): ContainerProfile {
  // hasOwn: a container may well be called "constructor" or "toString".
  const own = profile && Object.hasOwn(profile.containers, container) ? profile.containers[container] : undefined;
  const pod = profile?.default;
  return {
    cpu: own?.cpu ?? pod?.cpu ?? DEFAULT_CONTAINER_PROFILE.cpu,
    memory: own?.memory ?? pod?.memory ?? DEFAULT_CONTAINER_PROFILE.memory,
    readiness: own?.readiness ?? pod?.readiness ?? DEFAULT_CONTAINER_PROFILE.readiness,
  };
}

// ---- the demand model -------------------------------------------------------------------------

/** The seed of one resource of a container, so CPU and memory noise are independent. */
export function resourceSeed(seed: string, resource: 'cpu' | 'memory'): string {
  return `${seed}:${resource}`;
}

function mix32(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

// Hashing the seed string is the costly part of a noise draw; the live kubelet asks for the same
// few thousand seeds over and over. Bounded so a long run cannot grow it without limit.
const seedHashes = new Map<string, number>();

function seedHash(seed: string): number {
  let h = seedHashes.get(seed);
  if (h !== undefined) return h;
  h = 0x811c9dc5; // FNV-1a
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193);
  h >>>= 0;
  if (seedHashes.size >= 100_000) seedHashes.clear();
  seedHashes.set(seed, h);
  return h;
}

/** Uniform in [-1, 1), a pure function of (seed, floor(tMs / NOISE_STEP_MS)). */
export function noiseAt(seed: string, tMs: number): number {
  const bucket = Math.floor(tMs / NOISE_STEP_MS);
  const lo = bucket | 0;
  const hi = Math.floor(bucket / 2 ** 32) | 0;
  const h = mix32(mix32(seedHash(seed) ^ Math.imul(lo, 0x9e3779b1)) ^ hi);
  return (h / 2 ** 32) * 2 - 1;
}

const mod = (a: number, n: number) => ((a % n) + n) % n;

/**
 * Demand at `tMs` of a container started at `startedAtMs`: base × (1 + daily sine + growth since
 * start + decaying start-up peak + spike + noise), never negative. Growth and start-up peak count
 * from `startedAtMs`, so a restart resets them; the daily cycle and spikes follow the wall clock.
 */
export function demandAt(series: SeriesProfile, seed: string, startedAtMs: number, tMs: number): number {
  let factor = 1;
  if (series.dailyAmplitude !== 0) factor += series.dailyAmplitude * Math.sin((2 * Math.PI * mod(tMs, DAY_MS)) / DAY_MS);
  const age = tMs - startedAtMs;
  if (series.growthPerDay !== 0 && age > 0) factor += (series.growthPerDay * age) / DAY_MS;
  const peak = series.startupPeak;
  if (peak && age >= 0 && age < peak.durationMs) factor += peak.magnitude * (1 - age / peak.durationMs);
  const spikes = series.spikes;
  if (spikes && mod(tMs, spikes.everyMs) < spikes.durationMs) factor += spikes.magnitude;
  if (series.noise !== 0) factor += series.noise * noiseAt(seed, tMs);
  return factor > 0 ? series.base * factor : 0;
}
