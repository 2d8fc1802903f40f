// Resize cycle ids: derived from the policy (uid), its generation and the cycle's start time, so
// the same cycle always has the same id, and readable back from a pod's record — a restarted
// operator finds the running cycle on the pods it changed even if the status write was lost.
//   g<generation>-<YYYYMMDDTHHMMSSZ>-<8 hex of the policy uid>      e.g. g3-20261122T120000Z-5f0c1a2b
import { stableHash } from './selection.ts';

export interface CycleIdParts {
  generation: number;
  startMs: number;
  uidTag: string;
}

/** 8 hex digits identifying the policy (a hash of its uid). */
export function uidTag(uid: string): string {
  return stableHash('policy', uid).toString(16).padStart(8, '0');
}

/** Cycles start on whole seconds, so the id round-trips the start time exactly. */
export function cycleStartMs(nowMs: number): number {
  return Math.floor(nowMs / 1000) * 1000;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

export function cycleId(uid: string, generation: number, startMs: number): string {
  const d = new Date(cycleStartMs(startMs));
  const ts = `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`;
  return `g${generation}-${ts}-${uidTag(uid)}`;
}

const ID = /^g(\d{1,15})-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z-([0-9a-f]{8})$/;

export function parseCycleId(id: string): CycleIdParts | undefined {
  const m = ID.exec(id);
  if (!m) return undefined;
  const [, g, y, mo, d, h, mi, s, tag] = m;
  const startMs = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  return { generation: Number(g), startMs, uidTag: tag! };
}
