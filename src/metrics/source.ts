// The MetricsSource port: what the controller asks of a metrics backend, and the typed error it
// gets when the backend cannot answer. The controller resizes nothing new on such an error
// (fail safe) and reports it in the MetricsAvailable condition.
import type { ContainerUsage, MetricsErrorKind } from '../core/usage.ts';
import type { UsageQueryInput } from './promql.ts';

export type { ContainerUsage, MetricsErrorKind };

export interface UsageRequest extends UsageQueryInput {
  /** Evaluation time (the end of the window). */
  endMs: number;
}

export interface MetricsSource {
  /** Usage per container name; an empty map means no data for the workload yet. */
  usage(req: UsageRequest): Promise<Map<string, ContainerUsage>>;
}

export class MetricsError extends Error {
  readonly kind: MetricsErrorKind;
  constructor(kind: MetricsErrorKind, message: string) {
    super(message);
    this.name = 'MetricsError';
    this.kind = kind;
  }
}
