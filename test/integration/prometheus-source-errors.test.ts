// The Prometheus adapter when Prometheus cannot answer: each failure is a typed MetricsError with
// its cause, never a number. Servers here are real HTTP servers on 127.0.0.1 that misbehave.
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { freePorts } from '../../hack/cluster/ports.ts';
import { PrometheusSource } from '../../src/metrics/prometheus-source.ts';
import { MetricsError } from '../../src/metrics/source.ts';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const s = createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(s.address() as { port: number }).port}`;
}

const req = { namespace: 'ns', kind: 'Deployment' as const, name: 'web', resource: 'cpu' as const, percentile: 95, windowMs: 7 * 86_400_000, stepMs: 300_000, endMs: Date.now() };
const failure = async (src: PrometheusSource) => (await src.usage(req).catch((e: unknown) => e)) as MetricsError;

describe('PrometheusSource failures', () => {
  it('nothing listening → Unreachable', async () => {
    const [port] = await freePorts(1);
    const e = await failure(new PrometheusSource({ url: `http://127.0.0.1:${port!}` }));
    expect(e).toBeInstanceOf(MetricsError);
    expect(e.kind).toBe('Unreachable');
  });

  it('no answer in time → Timeout', async () => {
    const url = await serve(() => undefined); // accepts, never answers
    const e = await failure(new PrometheusSource({ url, timeoutMs: 300 }));
    expect(e.kind).toBe('Timeout');
  });

  it('garbage instead of the API → BadResponse', async () => {
    const url = await serve((_q, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"NaN"]}]}}'));
    const e = await failure(new PrometheusSource({ url }));
    expect(e.kind).toBe('BadResponse');
    expect(e.message).toMatch(/without pod, container or stat labels|NaN/);
  });

  it('a non-JSON page (a proxy error page) → BadResponse', async () => {
    const url = await serve((_q, res) => res.writeHead(502, { 'Content-Type': 'text/html' }).end('<html>Bad Gateway</html>'));
    const e = await failure(new PrometheusSource({ url }));
    expect(e.kind).toBe('BadResponse');
    expect(e.message).toContain('HTTP 502');
  });

  it('the query refused → BadQuery', async () => {
    const url = await serve((_q, res) => res.writeHead(400, { 'Content-Type': 'application/json' }).end('{"status":"error","errorType":"bad_data","error":"parse error at char 3"}'));
    const e = await failure(new PrometheusSource({ url }));
    expect(e.kind).toBe('BadQuery');
    expect(e.message).toContain('parse error');
  });

  it('credentials refused → Unauthorized; the bearer token and tenant header are sent', async () => {
    const seen: Array<Record<string, string | string[] | undefined>> = [];
    const url = await serve((q, res) => {
      seen.push(q.headers);
      res.writeHead(403).end('forbidden');
    });
    const e = await failure(new PrometheusSource({ url, bearerToken: 't0ken', headers: { 'X-Scope-OrgID': 'team-a' } }));
    expect(e.kind).toBe('Unauthorized');
    expect(seen[0]).toMatchObject({ authorization: 'Bearer t0ken', 'x-scope-orgid': 'team-a' });
  });
});
