// kubeconfig files for the local cluster: one per identity (admin, controller-manager, scheduler,
// nodes later), credentials embedded so a file is self-contained and can be copied.
import { dump } from 'js-yaml';

export interface KubeconfigIdentity {
  server: string;
  caPem: string;
  certPem: string;
  keyPem: string;
  /** Context, cluster and user name. */
  name: string;
  namespace?: string;
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

export function renderKubeconfig(id: KubeconfigIdentity): string {
  return dump({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: id.name, cluster: { server: id.server, 'certificate-authority-data': b64(id.caPem) } }],
    users: [{ name: id.name, user: { 'client-certificate-data': b64(id.certPem), 'client-key-data': b64(id.keyPem) } }],
    contexts: [{ name: id.name, context: { cluster: id.name, user: id.name, ...(id.namespace ? { namespace: id.namespace } : {}) } }],
    'current-context': id.name,
  });
}
