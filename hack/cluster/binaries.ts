// Where the control-plane binaries live. Versions are pinned in hack/versions.env (shared with the
// shell installers); the cache folder is outside the repository and keyed by version.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const HACK_DIR = join(import.meta.dirname, '..');
export const REPO_ROOT = join(HACK_DIR, '..');

export interface Versions {
  K8S_VERSION: string;
  ETCD_DEB_VERSION: string;
  PROMETHEUS_DEB_VERSION: string;
}

export function parseVersionsEnv(text: string): Versions {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Z0-9_]+)=(\S*)\s*$/.exec(line);
    if (m) env[m[1]!] = m[2]!;
  }
  for (const k of ['K8S_VERSION', 'ETCD_DEB_VERSION', 'PROMETHEUS_DEB_VERSION'] as const) {
    if (!env[k]) throw new Error(`hack/versions.env does not set ${k}`);
  }
  return env as unknown as Versions;
}

export function cacheDir(): string {
  return process.env.ATTUNE_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'attune');
}

export interface Binaries {
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  kubectl: string;
  prometheus: string;
  promtool: string;
}

/** Paths of every binary; throws one line naming the first missing one and how to get it. */
export function resolveBinaries(versions = parseVersionsEnv(readFileSync(join(HACK_DIR, 'versions.env'), 'utf8'))): Binaries {
  const cache = cacheDir();
  const k8s = join(cache, `k8s-${versions.K8S_VERSION}`, 'bin');
  const etcd = join(cache, `etcd-${versions.ETCD_DEB_VERSION.split('-')[0]}`, 'usr', 'bin');
  const prom = join(cache, `prometheus-${versions.PROMETHEUS_DEB_VERSION.split('+')[0]}`, 'usr', 'bin');
  const bins: Binaries = {
    etcd: join(etcd, 'etcd'),
    kubeApiserver: join(k8s, 'kube-apiserver'),
    kubeControllerManager: join(k8s, 'kube-controller-manager'),
    kubeScheduler: join(k8s, 'kube-scheduler'),
    kubectl: join(k8s, 'kubectl'),
    prometheus: join(prom, 'prometheus'),
    promtool: join(prom, 'promtool'),
  };
  for (const [name, path] of Object.entries(bins) as Array<[string, string]>) {
    if (!existsSync(path)) throw new Error(`${name} not found at ${path}: run \`make tools\` to build or install the local cluster binaries`);
  }
  return bins;
}
