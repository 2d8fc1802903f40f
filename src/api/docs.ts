// Renders the field reference of docs/api.md from the generated CRD schema, so the documented
// fields, defaults and rules are exactly the ones the apiserver enforces. Pure.
import { DURATION_PATTERN } from '../core/duration.ts';
import { NONNEGATIVE_QUANTITY_PATTERN } from '../core/quantity.ts';
import { resizePolicyOpenApiSchema, type JsonSchema } from './crd.ts';
import { DATA_KEY, DNS_LABEL, DNS_SUBDOMAIN, LABEL_KEY, LABEL_VALUE } from './primitives.ts';
import { HEADER_NAME, HTTP_URL } from './metrics.ts';

export const DOCS_FILE = 'docs/api.md';
export const BEGIN_MARKER = '<!-- BEGIN GENERATED FIELD REFERENCE: node src/api/generate-crd.ts -->';
export const END_MARKER = '<!-- END GENERATED FIELD REFERENCE -->';

const PATTERN_NAMES = new Map<string, string>([
  [NONNEGATIVE_QUANTITY_PATTERN.source, 'quantity ≥ 0'],
  [DURATION_PATTERN.source, 'duration'],
  [DNS_SUBDOMAIN.source, 'DNS subdomain'],
  [DNS_LABEL.source, 'DNS label'],
  [LABEL_KEY.source, 'label key'],
  [LABEL_VALUE.source, 'label value'],
  [DATA_KEY.source, 'data key'],
  [HTTP_URL.source, 'http(s) URL'],
  [HEADER_NAME.source, 'header name'],
]);

/** Text of a schema value: strings as they are, numbers and the rest as JSON. */
const str = (v: unknown): string => (typeof v === 'string' ? v : (JSON.stringify(v) ?? ''));
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (v: unknown) => `\`${JSON.stringify(v)}\``;

function typeOf(s: JsonSchema): string {
  if (s.type === 'array') return `[]${typeOf(s.items as JsonSchema)}`;
  if (s.type === 'object' && s.additionalProperties) return `map[string]${typeOf(s.additionalProperties as JsonSchema)}`;
  return str(s.type);
}

function constraints(s: JsonSchema): string[] {
  const out: string[] = [];
  if (Array.isArray(s.enum)) out.push(`one of ${s.enum.map((v) => `\`${str(v)}\``).join(', ')}`);
  if (s.minimum !== undefined) out.push(`${s.exclusiveMinimum === true ? '>' : '≥'} ${str(s.minimum)}`);
  if (s.maximum !== undefined) out.push(`${s.exclusiveMaximum === true ? '<' : '≤'} ${str(s.maximum)}`);
  if (s.minLength !== undefined && s.minLength !== 1) out.push(`length ≥ ${str(s.minLength)}`);
  if (s.minLength === 1) out.push('non-empty');
  if (s.maxLength !== undefined) out.push(`length ≤ ${str(s.maxLength)}`);
  if (typeof s.pattern === 'string') out.push(PATTERN_NAMES.get(s.pattern) ?? `pattern \`${s.pattern}\``);
  if (s.format !== undefined) out.push(str(s.format));
  if (s.minItems !== undefined) out.push(`≥ ${str(s.minItems)} items`);
  if (s.maxItems !== undefined) out.push(`≤ ${str(s.maxItems)} items`);
  if (s.maxProperties !== undefined) out.push(`≤ ${str(s.maxProperties)} entries`);
  if (s['x-kubernetes-list-type'] === 'set') out.push('unique');
  if (s['x-kubernetes-list-type'] === 'map') out.push(`unique by ${(s['x-kubernetes-list-map-keys'] as string[]).join(', ')}`);
  return out;
}

interface Row {
  path: string;
  schema: JsonSchema;
  required: boolean;
}

function walk(path: string, s: JsonSchema, required: boolean, rows: Row[], rules: [string, JsonSchema][]): void {
  rows.push({ path, schema: s, required });
  for (const r of (s['x-kubernetes-validations'] as JsonSchema[] | undefined) ?? []) rules.push([path, r]);
  const props = s.properties as Record<string, JsonSchema> | undefined;
  const req = new Set((s.required as string[] | undefined) ?? []);
  for (const [name, child] of Object.entries(props ?? {})) walk(`${path}.${name}`, child, req.has(name), rows, rules);
  const items = s.items as JsonSchema | undefined;
  if (items?.properties) {
    for (const r of (items['x-kubernetes-validations'] as JsonSchema[] | undefined) ?? []) rules.push([`${path}[]`, r]);
    const ireq = new Set((items.required as string[] | undefined) ?? []);
    for (const [name, child] of Object.entries(items.properties as Record<string, JsonSchema>)) walk(`${path}[].${name}`, child, ireq.has(name), rows, rules);
  }
}

function table(root: string, s: JsonSchema): string {
  const rows: Row[] = [];
  const rules: [string, JsonSchema][] = [];
  walk(root, s, true, rows, rules);
  const lines = ['| Field | Type | Default | Validation | Description |', '|---|---|---|---|---|'];
  for (const { path, schema, required } of rows) {
    const field = `\`${path}\`${required && path !== root ? ' (required)' : ''}`;
    const def = schema.default === undefined ? '' : code(schema.default);
    lines.push(`| ${field} | ${typeOf(schema)} | ${cell(def)} | ${cell(constraints(schema).join('; '))} | ${cell(str(schema.description ?? ''))} |`);
  }
  if (rules.length > 0) {
    lines.push('', `Cross-field rules on \`${root}\` (CEL, enforced by the apiserver and by \`parseResizePolicy\`):`, '');
    lines.push('| Where | Rule | Message |', '|---|---|---|');
    for (const [path, r] of rules) lines.push(`| \`${path}\` | \`${cell(str(r.rule))}\` | ${cell(str(r.message))} |`);
  }
  return lines.join('\n');
}

/** The generated section of docs/api.md, markers included. */
export function renderFieldReference(): string {
  const root = resizePolicyOpenApiSchema().properties as Record<string, JsonSchema>;
  return [
    BEGIN_MARKER,
    '',
    '### spec',
    '',
    table('spec', root.spec!),
    '',
    '### status',
    '',
    table('status', root.status!),
    '',
    END_MARKER,
  ].join('\n');
}

/** Replaces the generated section of `doc` (which must contain both markers) with a fresh one. */
export function updateApiDoc(doc: string): string {
  const begin = doc.indexOf(BEGIN_MARKER);
  const end = doc.indexOf(END_MARKER);
  if (begin < 0 || end < begin) throw new Error(`${DOCS_FILE} must contain the markers ${BEGIN_MARKER} … ${END_MARKER}`);
  return doc.slice(0, begin) + renderFieldReference() + doc.slice(end + END_MARKER.length);
}
