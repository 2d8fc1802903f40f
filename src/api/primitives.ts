// Reusable field schemas: quantities, durations, object names, references, label selectors,
// timestamps. Each carries its own bounds (maxLength / maxItems / maxProperties), which the
// apiserver's CEL cost estimator needs and which keep objects small.
import { z } from 'zod';
import { DURATION_PATTERN, isPositiveDuration } from '../core/duration.ts';
import { NONNEGATIVE_QUANTITY_PATTERN } from '../core/quantity.ts';
import { withRules } from './cel.ts';

/** Max length of a quantity string: generous for any real value, small for CEL cost. */
export const QUANTITY_MAX_LENGTH = 64;
/** A duration string is at most 6 components of 7 digits plus units (49 characters). */
export const DURATION_MAX_LENGTH = 64;

/** A non-negative Kubernetes quantity string ("250m", "1.5Gi", "1e3"), as the apiserver and parseQuantity read it. */
export function quantity(description: string) {
  return z
    .string()
    .max(QUANTITY_MAX_LENGTH)
    .regex(NONNEGATIVE_QUANTITY_PATTERN, { message: 'must be a non-negative Kubernetes quantity such as 250m, 2, 512Mi or 1.5Gi' })
    .describe(description);
}

/**
 * Suffixes that make a memory quantity a fraction of a byte: milli/micro/nano and negative
 * exponents. Matched on the string because CEL's quantity(...).isInteger() is false for exact
 * integers such as 1.5Gi (it only reports a fast int64 conversion).
 */
export const SUB_BYTE_SUFFIX = /([mun]|[eE]-[0-9]+)$/;

/** A memory quantity: additionally no sub-byte suffix, which rejects the classic "100m" (0.1 bytes; "100Mi" was meant). */
export function memoryQuantity(field: string, description: string) {
  return withRules(quantity(description), [
    {
      rule: `!self.matches('${SUB_BYTE_SUFFIX.source}')`,
      message: `${field} must not use the suffixes m, u, n or a negative exponent: memory is in bytes (did you mean Mi?)`,
      check: (s) => !SUB_BYTE_SUFFIX.test(s),
    },
  ]);
}

/** A duration string ("30s", "5m", "2h", "7d", "1h30m", "500ms"); see src/core/duration.ts. */
export function duration(description: string) {
  return z
    .string()
    .min(1)
    .max(DURATION_MAX_LENGTH)
    .regex(DURATION_PATTERN, { message: 'must be a duration such as 500ms, 30s, 5m, 1h30m, 2h or 7d (units w d h m s ms, largest first)' })
    .describe(description);
}

/** A duration that must be longer than zero. All-zero strings ("0", "0s", "0h0m") are exactly those made of 0 and unit letters. */
export function positiveDuration(field: string, description: string) {
  return withRules(duration(description), [
    { rule: "!self.matches('^[0wdhms]+$')", message: `${field} must be longer than zero`, check: isPositiveDuration },
  ]);
}

/** RFC 1123 DNS subdomain: names of Deployments, Secrets, ConfigMaps. */
export const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** RFC 1123 DNS label: container names. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function objectName(description: string) {
  return z.string().min(1).max(253).regex(DNS_SUBDOMAIN, { message: 'must be a lowercase RFC 1123 subdomain name' }).describe(description);
}

export function containerName(description: string) {
  return z.string().min(1).max(63).regex(DNS_LABEL, { message: 'must be a lowercase RFC 1123 label (a container name)' }).describe(description);
}

/** A key in a Secret or ConfigMap. */
export const DATA_KEY = /^[-._a-zA-Z0-9]+$/;

/** Reference to one key of a Secret or ConfigMap in the policy's namespace. */
export function keyRef(kind: 'Secret' | 'ConfigMap', description: string) {
  return z
    .object({
      name: objectName(`Name of the ${kind} in the policy's namespace.`),
      key: z.string().min(1).max(253).regex(DATA_KEY, { message: 'must consist of alphanumerics, -, _ or .' }).describe(`Key within the ${kind}'s data.`),
    })
    .describe(description);
}

/**
 * A string→string map with at most `max` entries: CRD maxProperties plus the same runtime check.
 * (Map keys cannot carry a CRD pattern; key syntax is checked at runtime only.)
 */
export function boundedMap(key: z.ZodString, value: z.ZodString, max: number, description: string) {
  return z
    .record(key, value)
    .refine((m) => Object.keys(m).length <= max, { message: `must have at most ${max} entries` })
    .meta({ maxProperties: max })
    .describe(description);
}

/** Label keys ("app", "app.kubernetes.io/name") and values, as Kubernetes validates them. */
export const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
export const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

const labelKey = () => z.string().min(1).max(317).regex(LABEL_KEY, { message: 'must be a valid label key' });
const labelValue = () => z.string().max(63).regex(LABEL_VALUE, { message: 'must be a valid label value' });

/** metav1.LabelSelector, with the operator/values rule the apiserver applies to built-in selectors. */
export function labelSelector(field: string, description: string) {
  const requirement = withRules(
    z.object({
      key: labelKey().describe('Label key the requirement applies to.'),
      operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']).describe('In, NotIn, Exists or DoesNotExist.'),
      values: z
        .array(labelValue())
        .max(64)
        .optional()
        .describe('Label values: non-empty for In and NotIn, empty or absent for Exists and DoesNotExist.'),
    }),
    [
      {
        rule: "self.operator in ['In', 'NotIn'] ? (has(self.values) && size(self.values) > 0) : (!has(self.values) || size(self.values) == 0)",
        message: `${field}.matchExpressions[].values must be non-empty for In and NotIn, and empty for Exists and DoesNotExist`,
        fieldPath: '.values',
        check: (r) => (r.operator === 'In' || r.operator === 'NotIn' ? (r.values?.length ?? 0) > 0 : (r.values?.length ?? 0) === 0),
      },
    ],
  );
  return z
    .object({
      matchLabels: boundedMap(labelKey(), labelValue(), 64, 'Labels the workload must carry (ANDed with matchExpressions).').optional(),
      matchExpressions: z.array(requirement.describe('A label requirement.')).max(32).optional().describe('Label requirements, all of which must hold.'),
    })
    .describe(description);
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** An RFC 3339 timestamp as Kubernetes writes them ("2026-01-02T15:04:05Z"). */
export function timestamp(description: string) {
  return z
    .string()
    .refine((s) => RFC3339.test(s) && !Number.isNaN(Date.parse(s)), { message: 'must be an RFC 3339 timestamp' })
    .meta({ format: 'date-time' })
    .describe(description);
}
