// A KubeConfig whose requests share connections. client-node 2.x builds a new undici Agent for
// every request (KubeConfig.applySecurityAuthentication → createDispatcher), so every API call
// and every watch opens its own TLS connection — a new handshake and SecureContext (CA and client
// certificate parsed again) each time, and idle sockets that linger until the agent is collected.
// At a status write per policy that is thousands of connections per pass and tens of MiB of native
// memory. Here the first Agent built for a connection identity (server, CA, client certificate,
// TLS options) is kept and handed to every later request with that identity, for `ttlMs` (then the
// next request builds a fresh one, so rotated certificate or CA files are picked up; the old one
// is not closed — a request may hold it still — and goes like client-node's per-request agents:
// its idle sockets time out, then it is collected).
//
// Users with an exec plugin are not pooled (it may hand out a new client certificate at any
// request): those behave as client-node does. Tokens (in-cluster token file, auth providers) are
// headers, not part of the connection, and are applied per request as before.
import { KubeConfig, type RequestContext } from '@kubernetes/client-node';

type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

const DEFAULT_TTL_MS = 10 * 60_000;

export class PooledKubeConfig extends KubeConfig {
  private readonly pool = new Map<string, { dispatcher: Dispatcher; until: number }>();
  private readonly ttlMs: number;

  constructor(ttlMs = DEFAULT_TTL_MS) {
    super();
    this.ttlMs = ttlMs;
  }

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const fresh = context.getDispatcher();
    const key = fresh && this.identity();
    if (!fresh || key === undefined) return;
    const now = Date.now();
    const pooled = this.pool.get(key);
    if (pooled && pooled.until > now) {
      // `fresh` has no connection yet (nothing was sent through it): dropping it costs nothing.
      context.setDispatcher(pooled.dispatcher);
      return;
    }
    this.pool.set(key, { dispatcher: fresh, until: now + this.ttlMs });
  }

  /** What the connection depends on; undefined when it may change from one request to the next. */
  private identity(): string | undefined {
    const cluster = this.getCurrentCluster();
    const user = this.getCurrentUser();
    if (!cluster) return undefined;
    if (user?.exec) return undefined;
    return JSON.stringify([
      cluster.name,
      cluster.server,
      cluster.caData,
      cluster.caFile,
      cluster.skipTLSVerify,
      cluster.tlsServerName,
      cluster.proxyUrl,
      user?.name,
      user?.certData,
      user?.certFile,
      user?.keyData,
      user?.keyFile,
    ]);
  }
}
