// One cross-field rule, two enforcers: the apiserver evaluates `rule` (CEL, in the generated CRD's
// x-kubernetes-validations) and parseResizePolicy evaluates `check` (the same rule in TypeScript).
// Keeping both in one object is what keeps them from drifting; the admission integration test
// asserts that every spec the apiserver rejects is rejected at runtime with the same field path.
import type { z } from 'zod';

export type CelReason = 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';

export interface Rule<T> {
  /** CEL expression; `self` is the value of the node the rule is attached to. */
  readonly rule: string;
  /** Human message; must name the field by its full path (e.g. "spec.cpu.maxAllowed ..."). */
  readonly message: string;
  /** Where the apiserver reports the error, relative to the node (".maxAllowed"); simple dotted paths only. */
  readonly fieldPath?: string;
  readonly reason?: CelReason;
  /** The rule for the runtime validator: true when `value` (already shape-checked) is valid. */
  readonly check: (value: T) => boolean;
}

const VALIDATIONS = 'x-kubernetes-validations';

/** Path segments of a simple relative fieldPath: ".a.b" → ["a", "b"]. */
function segments(fieldPath: string | undefined): string[] {
  return fieldPath ? fieldPath.split('.').filter((s) => s !== '') : [];
}

/**
 * Attaches rules to a schema: as CEL metadata for the CRD generator (appended to any rules the
 * schema already carries) and as refinements for runtime parsing. Refinements run only when the
 * value's shape is valid, so `check` may trust the parsed type.
 */
export function withRules<S extends z.ZodType>(schema: S, rules: readonly Rule<z.output<S>>[]): S {
  const existing = (schema.meta()?.[VALIDATIONS] ?? []) as unknown[];
  const refined = schema.superRefine((value, ctx) => {
    for (const r of rules) {
      if (!r.check(value)) ctx.addIssue({ code: 'custom', message: r.message, path: segments(r.fieldPath), input: value });
    }
  });
  const cel = rules.map(({ rule, message, fieldPath, reason }) => ({
    rule,
    message,
    ...(fieldPath !== undefined ? { fieldPath } : {}),
    ...(reason !== undefined ? { reason } : {}),
  }));
  return refined.meta({ ...schema.meta(), [VALIDATIONS]: [...existing, ...cel] });
}
