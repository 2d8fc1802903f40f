// The ResizePolicy object and its runtime validator. parseResizePolicy accepts anything (an
// informer object, one stored under an older CRD, garbage) and never throws: the controller turns
// `errors` into InvalidSpec=True instead of crashing. Unknown fields are dropped, missing ones get
// the same defaults the apiserver applies.
import { z } from 'zod';
import { API_VERSION, KIND } from './constants.ts';
import { resizePolicySpecSchema, type ResizePolicySpec } from './spec.ts';
import { resizePolicyStatusSchema, type ResizePolicyStatus } from './status.ts';

const optionalString = z.string().optional().catch(undefined);
const stringMap = z.record(z.string(), z.string()).optional().catch(undefined);

/** The metadata fields the controller uses; wrong-typed fields become undefined rather than errors. */
const metadataSchema = z
  .object({
    name: optionalString,
    namespace: optionalString,
    uid: optionalString,
    resourceVersion: optionalString,
    generation: z.int().min(0).optional().catch(undefined),
    creationTimestamp: optionalString,
    deletionTimestamp: optionalString,
    labels: stringMap,
    annotations: stringMap,
  })
  .catch({});

export type ResizePolicyMetadata = z.output<typeof metadataSchema>;

export interface ResizePolicy {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: ResizePolicyMetadata;
  /** With every default applied. */
  spec: ResizePolicySpec;
  /** Undefined when absent or unreadable (see warnings). */
  status?: ResizePolicyStatus;
}

export type ParseResult =
  | { ok: true; policy: ResizePolicy; /** Non-fatal problems, e.g. an unreadable status that was ignored. */ warnings: string[] }
  | { ok: false; /** One entry per problem, each starting with the field path: "spec.cpu.percentile: …". */ errors: string[] };

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** "spec.cpu.minAllowed", "spec.containers.include[0]", 'spec.metrics.prometheus.headers["X-Org"]'. */
export function formatPath(prefix: string, path: readonly PropertyKey[]): string {
  let out = prefix;
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'string' && IDENTIFIER.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out === '' ? '<root>' : out;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  // A missing required field is the most common problem; say so plainly.
  if ((issue.code === 'invalid_type' || issue.code === 'invalid_value') && 'input' in issue && issue.input === undefined) return 'is required';
  return issue.message;
}

/** Issues as "path: message" lines, de-duplicated. */
export function formatIssues(prefix: string, issues: readonly z.core.$ZodIssue[]): string[] {
  return [...new Set(issues.map((i) => `${formatPath(prefix, i.path)}: ${describeIssue(i)}`))];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Validates a spec and applies defaults. Never throws. */
export function parseResizePolicySpec(spec: unknown): { ok: true; spec: ResizePolicySpec } | { ok: false; errors: string[] } {
  try {
    if (!isRecord(spec)) return { ok: false, errors: [spec === undefined ? 'spec: is required' : 'spec: must be an object'] };
    const r = resizePolicySpecSchema.safeParse(spec, { reportInput: true });
    return r.success ? { ok: true, spec: r.data } : { ok: false, errors: formatIssues('spec', r.error.issues) };
  } catch (e) {
    // Only reachable through hostile inputs (throwing getters, proxies): report, never propagate.
    return { ok: false, errors: [`spec: unreadable (${e instanceof Error ? e.message : String(e)})`] };
  }
}

/** Validates a whole ResizePolicy object and applies spec defaults. Never throws. */
export function parseResizePolicy(obj: unknown): ParseResult {
  try {
    if (!isRecord(obj)) return { ok: false, errors: ['<root>: must be an object'] };
    const errors: string[] = [];
    if (obj.apiVersion !== undefined && obj.apiVersion !== API_VERSION) errors.push(`apiVersion: must be ${API_VERSION}`);
    if (obj.kind !== undefined && obj.kind !== KIND) errors.push(`kind: must be ${KIND}`);
    const spec = parseResizePolicySpec(obj.spec);
    if (!spec.ok) errors.push(...spec.errors);
    if (!spec.ok || errors.length > 0) return { ok: false, errors };

    const warnings: string[] = [];
    let status: ResizePolicyStatus | undefined;
    if (obj.status !== undefined) {
      const s = resizePolicyStatusSchema.safeParse(obj.status, { reportInput: true });
      if (s.success) status = s.data;
      else warnings.push(...formatIssues('status', s.error.issues).map((m) => `ignored unreadable status: ${m}`));
    }
    const policy: ResizePolicy = { apiVersion: API_VERSION, kind: KIND, metadata: metadataSchema.parse(obj.metadata), spec: spec.spec };
    if (status !== undefined) policy.status = status;
    return { ok: true, policy, warnings };
  } catch (e) {
    return { ok: false, errors: [`<root>: unreadable (${e instanceof Error ? e.message : String(e)})`] };
  }
}
