// Test helpers over @kubernetes/client-node: clients from a kubeconfig, throw-away namespaces,
// and `eventually` for asserting on cluster state that converges (no sleeps on guesses).
import { randomBytes } from 'node:crypto';
import { AppsV1Api, CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';

export function clients(kubeconfig: string) {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  return {
    kc,
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    rbac: kc.makeApiClient(RbacAuthorizationV1Api),
  };
}

export type Clients = ReturnType<typeof clients>;

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

/** Creates a namespace and returns its name plus a cleanup that deletes it. */
export async function freshNamespace(core: CoreV1Api, prefix: string): Promise<{ name: string; remove: () => Promise<void> }> {
  const name = uniqueName(prefix);
  await core.createNamespace({ body: { metadata: { name } } });
  return { name, remove: async () => void (await core.deleteNamespace({ name }).catch(() => undefined)) };
}

/** Retries `fn` until it stops throwing (assertions included) or the time runs out. */
export async function eventually<T>(fn: () => Promise<T> | T, timeoutMs = 60_000, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
}

export { tokenKubeConfig } from '../../hack/cluster/operator-identity.ts';

/** HTTP status of a client-node ApiException (undefined for other errors). */
export function httpStatus(e: unknown): number | undefined {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'number' ? e.code : undefined;
}

/** Runs `fn`, expecting it to fail with an API error; returns the status and body text. */
export async function apiError(fn: () => Promise<unknown>): Promise<{ status: number; body: string }> {
  try {
    await fn();
  } catch (e) {
    const status = httpStatus(e);
    if (status === undefined) throw e;
    const body = (e as { body?: unknown }).body;
    return { status, body: typeof body === 'string' ? body : JSON.stringify(body) };
  }
  throw new Error('expected the API call to fail, but it succeeded');
}
