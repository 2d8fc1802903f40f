// Readiness probes for the components: plain HTTP for etcd, HTTPS with our CA (and, for the
// apiserver, the admin client certificate) for the rest.
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';

export interface TlsIdentity {
  ca: string;
  cert?: string;
  key?: string;
}

export interface ProbeResult {
  status: number;
  body: string;
}

/** One GET; rejects on connection errors, resolves with any HTTP status. */
export function get(url: string, tls?: TlsIdentity, timeoutMs = 2_000): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const opts = { method: 'GET', timeout: timeoutMs, ...(tls ?? {}) };
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, opts, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Polls `check` until it returns true. Stops early (rejecting with what `abort` returns) as soon as
 * `abort` reports a reason, e.g. the process being probed has exited.
 */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  opts: { timeoutMs: number; intervalMs?: number; abort?: () => Error | undefined },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError = '';
  for (;;) {
    const aborted = opts.abort?.();
    if (aborted) throw aborted;
    try {
      if (await check()) return;
    } catch (e) {
      lastError = e instanceof Error ? e.message : String(e);
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${opts.timeoutMs / 1000}s waiting for ${what}${lastError ? ` (last error: ${lastError})` : ''}`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 250));
  }
}
