// Installs what the operator needs on a local cluster and gives it its own identity: the
// ResizePolicy CRD (waited on until Established), deploy/rbac.yaml, and a kubeconfig holding a
// token of the `attune` ServiceAccount — so tests, benchmarks and the demo run the operator with
// exactly the permissions a user's cluster grants it.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiextensionsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { CRD_NAME } from '../../src/api/constants.ts';
import { REPO_ROOT } from './binaries.ts';
import { applyManifests } from './local-env.ts';

/** A kubeconfig that reaches the same apiserver as `kc`, authenticating with a bearer token. */
export function tokenKubeConfig(kc: KubeConfig, user: string, token: string): KubeConfig {
  const cluster = kc.getCurrentCluster()!;
  const out = new KubeConfig();
  out.loadFromOptions({
    clusters: [{ name: 'local', server: cluster.server, caData: cluster.caData }],
    users: [{ name: user, token }],
    contexts: [{ name: user, cluster: 'local', user }],
    currentContext: user,
  });
  return out;
}

async function retry<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: string | undefined;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e instanceof Error ? e.message : JSON.stringify(e);
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Applies the CRD and the operator's RBAC to the cluster of `adminKubeconfig`, and writes
 * `<dir>/attune-sa.kubeconfig` with a token (valid `ttlSeconds`) of the attune ServiceAccount.
 * Returns that file's path.
 */
export async function installOperatorIdentity(adminKubeconfig: string, dir: string, ttlSeconds = 7200): Promise<string> {
  const kc = new KubeConfig();
  kc.loadFromFile(adminKubeconfig);
  await applyManifests(adminKubeconfig, join(REPO_ROOT, 'crds', 'attune.dev_resizepolicies.yaml'));
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  await retry('the CRD to be Established', 60_000, async () => {
    const crd = await ext.readCustomResourceDefinition({ name: CRD_NAME });
    return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ? true : undefined;
  });
  await applyManifests(adminKubeconfig, join(REPO_ROOT, 'deploy', 'rbac.yaml'));
  const core = kc.makeApiClient(CoreV1Api);
  const token = await retry('a token of the attune ServiceAccount', 60_000, async () => {
    const tr = await core.createNamespacedServiceAccountToken({ name: 'attune', namespace: 'attune-system', body: { spec: { expirationSeconds: ttlSeconds } } });
    return tr.status?.token || undefined;
  });
  const file = join(dir, 'attune-sa.kubeconfig');
  await writeFile(file, tokenKubeConfig(kc, 'attune', token).exportConfig(), { mode: 0o600 });
  return file;
}
