// Usage history of one workload's container, as the metrics port answers it (pods combined).
// Lives in the core because decisions are made from it; adapters produce it.

/** CPU in cores, memory in bytes. */
export interface ContainerUsage {
  container: string;
  percentile: number;
  dataPoints: number;
  spanMs: number;
  pods: number;
}

export type MetricsErrorKind = 'Unreachable' | 'Timeout' | 'Unauthorized' | 'BadQuery' | 'BadResponse';

/** One query's outcome: the usage per container name, or why there is none. */
export type UsageAnswer =
  | { ok: true; byContainer: ReadonlyMap<string, ContainerUsage> }
  | { ok: false; kind: MetricsErrorKind; message: string };
