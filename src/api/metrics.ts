// spec.metrics: where usage history comes from (a Prometheus-compatible API, its credentials and
// TLS), how much of it a recommendation needs, and optional custom PromQL.
import { z } from 'zod';
import { parseDuration } from '../core/duration.ts';
import { withRules } from './cel.ts';
import { QUERY_PLACEHOLDERS } from './constants.ts';
import { boundedMap, duration, keyRef, positiveDuration } from './primitives.ts';

export const HTTP_URL = /^https?:\/\/[^\s/?#]+([/?#]\S*)?$/;
export const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

function isHttpUrl(s: string): boolean {
  if (!HTTP_URL.test(s) || !URL.canParse(s)) return false;
  const u = new URL(s);
  return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
}

export const prometheusSchema = withRules(
  z.object({
    url: withRules(
      z
        .string()
        .max(2048)
        .regex(HTTP_URL, { message: 'must be an http:// or https:// URL' })
        .describe('Base URL of the Prometheus-compatible API (http or https), e.g. http://prometheus.monitoring:9090 or a Thanos/Mimir query frontend.'),
      [
        {
          rule: "isURL(self) && url(self).getScheme() in ['http', 'https'] && url(self).getHostname() != ''",
          message: 'spec.metrics.prometheus.url must be an absolute http or https URL with a host',
          check: isHttpUrl,
        },
      ],
    ),
    bearerTokenSecretRef: keyRef('Secret', 'Secret key holding a bearer token sent as "Authorization: Bearer <token>".').optional(),
    caSecretRef: keyRef('Secret', 'Secret key holding a PEM CA bundle that verifies the server certificate.').optional(),
    caConfigMapRef: keyRef('ConfigMap', 'ConfigMap key holding a PEM CA bundle that verifies the server certificate.').optional(),
    insecureSkipVerify: z.boolean().default(false).describe('Skip TLS certificate verification (testing only). Cannot be combined with a CA reference. Default false.'),
    headers: boundedMap(
      z.string().min(1).max(128).regex(HEADER_NAME, { message: 'must be an HTTP header name' }),
      z.string().max(4096),
      16,
      'Extra HTTP headers sent with every query, e.g. X-Scope-OrgID for a Mimir/Cortex tenant. Not for credentials: Authorization is rejected, use bearerTokenSecretRef.',
    ).optional(),
  }),
  [
    {
      rule: '!(has(self.caSecretRef) && has(self.caConfigMapRef))',
      message: 'set at most one of spec.metrics.prometheus.caSecretRef and spec.metrics.prometheus.caConfigMapRef',
      fieldPath: '.caConfigMapRef',
      check: (p) => !(p.caSecretRef && p.caConfigMapRef),
    },
    {
      rule: '!has(self.insecureSkipVerify) || !self.insecureSkipVerify || !(has(self.caSecretRef) || has(self.caConfigMapRef))',
      message: 'spec.metrics.prometheus.insecureSkipVerify cannot be combined with caSecretRef or caConfigMapRef',
      fieldPath: '.insecureSkipVerify',
      check: (p) => !p.insecureSkipVerify || !(p.caSecretRef || p.caConfigMapRef),
    },
    {
      // Map-key lookups keep the CEL cost constant; the runtime check is case-insensitive.
      rule: "!has(self.headers) || !('Authorization' in self.headers || 'authorization' in self.headers)",
      message: 'spec.metrics.prometheus.headers must not set Authorization; use bearerTokenSecretRef so the token stays in a Secret',
      fieldPath: '.headers',
      check: (p) => !p.headers || !Object.keys(p.headers).some((k) => k.toLowerCase() === 'authorization'),
    },
  ],
).describe('Prometheus-compatible API to read usage history from. Absent: the operator-wide default endpoint, if one is configured.');

const PLACEHOLDERS = Object.values(QUERY_PLACEHOLDERS);
/** CEL that strips every supported placeholder, then finds any "{{" left over. */
const UNKNOWN_PLACEHOLDER_CEL = `!self${PLACEHOLDERS.map((p) => `.replace('${p}', '')`).join('')}.contains('{{')`;

function promqlTemplate(resource: 'cpu' | 'memory', description: string) {
  return withRules(z.string().min(1).max(4096).describe(description), [
    {
      rule: UNKNOWN_PLACEHOLDER_CEL,
      message: `spec.metrics.query.${resource} uses an unknown placeholder; supported: ${PLACEHOLDERS.join(', ')}`,
      check: (q) => !PLACEHOLDERS.reduce((s, p) => s.split(p).join(''), q).includes('{{'),
    },
  ]);
}

const QUERY_CONTRACT =
  `Placeholders ${PLACEHOLDERS.join(', ')} are replaced before the query runs. The query must return one series per pod and container ` +
  '(labels pod and container) and is evaluated as a range query over historyWindow at step; attune computes the percentile.';

export const metricsSchema = z
  .object({
    prometheus: prometheusSchema.optional(),
    historyWindow: positiveDuration('spec.metrics.historyWindow', 'How much usage history recommendations are computed from. Default 7d.').default('7d'),
    step: positiveDuration('spec.metrics.step', 'Resolution of the usage history (query step). Default 5m.').default('5m'),
    minimumData: z
      .object({
        samples: z.int().min(1).max(1_000_000).default(100).describe('Fewest samples per container before a recommendation is made. Default 100.'),
        span: duration('Shortest time span the samples must cover before a recommendation is made. Default 24h.').default('24h'),
      })
      .prefault({})
      .describe('How much data a recommendation needs; with less, none is made and the Ready condition says what is missing.'),
    query: z
      .object({
        cpu: promqlTemplate('cpu', `Custom PromQL for CPU usage in cores. ${QUERY_CONTRACT}`).optional(),
        memory: promqlTemplate('memory', `Custom PromQL for memory usage in bytes (working set). ${QUERY_CONTRACT}`).optional(),
      })
      .optional()
      .describe('Custom PromQL templates replacing the built-in cAdvisor queries.'),
  })
  .superRefine((m, ctx) => {
    // Runtime-only: CEL cannot parse "7d"-style durations. A violation becomes InvalidSpec=True.
    const window = parseDuration(m.historyWindow) ?? 0;
    if ((parseDuration(m.minimumData.span) ?? 0) > window)
      ctx.addIssue({ code: 'custom', path: ['minimumData', 'span'], message: 'spec.metrics.minimumData.span must not exceed spec.metrics.historyWindow' });
    if ((parseDuration(m.step) ?? 0) > window)
      ctx.addIssue({ code: 'custom', path: ['step'], message: 'spec.metrics.step must not exceed spec.metrics.historyWindow' });
  })
  .prefault({})
  .describe('Where usage history comes from and how much of it a recommendation needs.');
