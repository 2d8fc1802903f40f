// The MetricsSource port: what the controller asks of a metrics backend, and the typed error it
// gets when the backend cannot answer. The controller resizes nothing new on such an error
// (fail safe) and reports it in the MetricsAvailable condition.
import type { ContainerUsage, MetricsErrorKind } from '../core/usage.ts';
import type { Resource, WorkloadKind } from './promql.ts';

export type { ContainerUsage, MetricsErrorKind };

export interface UsageRequest {
  namespace: string;
  kind: WorkloadKind;
  name: string;
  resource: Resource;
  percentile: number;
  windowMs: number;
  stepMs: number;
  /** Evaluation time (the end of the window). */
  endMs: number;
  custom?: string;
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
