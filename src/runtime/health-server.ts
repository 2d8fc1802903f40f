// The operator's HTTP endpoints: /healthz (the process answers), /readyz (every informer synced;
// 503 with the unsynced ones otherwise), /metrics (counters in Prometheus text format).
import { createServer, type Server } from 'node:http';
import type { InformerHealth } from '../kube/informer.ts';

export interface HealthSource {
  health(): InformerHealth[];
  counters(): Record<string, number>;
}

export async function startHealthServer(host: string, port: number, src: HealthSource): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (req.url === '/healthz') return void res.writeHead(200).end('ok\n');
    if (req.url === '/readyz') {
      const bad = src.health().filter((h) => !h.synced);
      if (bad.length === 0) return void res.writeHead(200).end('ok\n');
      return void res.writeHead(503).end(`${bad.map((h) => `${h.name}: not synced${h.lastError ? ` (${h.lastError})` : ''}`).join('\n')}\n`);
    }
    if (req.url === '/metrics') {
      const lines = Object.entries(src.counters()).map(([k, v]) => `# TYPE attune_${k} counter\nattune_${k} ${v}`);
      const informers = src.health().map((h) => `attune_informer_synced{informer="${h.name}"} ${h.synced ? 1 : 0}\nattune_informer_restarts_total{informer="${h.name}"} ${h.restarts}`);
      return void res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(`${[...lines, ...informers].join('\n')}\n`);
    }
    res.writeHead(404).end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return { server, port: (server.address() as { port: number }).port };
}
