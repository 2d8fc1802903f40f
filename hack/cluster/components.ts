// Command lines of the control-plane components, as pure functions of a cluster layout (files and
// ports). Everything binds to 127.0.0.1 on ports chosen by the launcher, so several clusters run
// side by side. The flag choices follow kubeadm's defaults where they work without extra parts.
import { join } from 'node:path';

export interface ClusterPorts {
  etcdClient: number;
  etcdPeer: number;
  apiserver: number;
  controllerManager: number;
  scheduler: number;
}

export interface ClusterLayout {
  runDir: string;
  ports: ClusterPorts;
  /** Service ClusterIP range; the first address is the `kubernetes` Service. */
  serviceCidr: string;
}

export const HOST = '127.0.0.1';
export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

/** Files of a cluster, all under its run folder. */
export function paths(runDir: string) {
  const pki = join(runDir, 'pki');
  return {
    pki,
    caCert: join(pki, 'ca.crt'),
    caKey: join(pki, 'ca.key'),
    apiserverCert: join(pki, 'apiserver.crt'),
    apiserverKey: join(pki, 'apiserver.key'),
    controllerManagerCert: join(pki, 'controller-manager.crt'),
    controllerManagerKey: join(pki, 'controller-manager.key'),
    schedulerCert: join(pki, 'scheduler.crt'),
    schedulerKey: join(pki, 'scheduler.key'),
    frontProxyCaCert: join(pki, 'front-proxy-ca.crt'),
    frontProxyClientCert: join(pki, 'front-proxy-client.crt'),
    frontProxyClientKey: join(pki, 'front-proxy-client.key'),
    saPub: join(pki, 'sa.pub'),
    saKey: join(pki, 'sa.key'),
    etcdData: join(runDir, 'etcd'),
    logs: join(runDir, 'logs'),
    adminKubeconfig: join(runDir, 'kubeconfig'),
    controllerManagerKubeconfig: join(runDir, 'controller-manager.kubeconfig'),
    schedulerKubeconfig: join(runDir, 'scheduler.kubeconfig'),
    state: join(runDir, 'state.json'),
  };
}

export function etcdArgs(l: ClusterLayout): string[] {
  const client = `http://${HOST}:${l.ports.etcdClient}`;
  const peer = `http://${HOST}:${l.ports.etcdPeer}`;
  return [
    '--name=default',
    `--data-dir=${paths(l.runDir).etcdData}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=default=${peer}`,
    // Test clusters are throw-away: skipping fsync makes etcd fast on shared disks.
    '--unsafe-no-fsync',
    '--log-level=warn',
  ];
}

export function apiserverArgs(l: ClusterLayout): string[] {
  const p = paths(l.runDir);
  return [
    `--etcd-servers=http://${HOST}:${l.ports.etcdClient}`,
    `--bind-address=${HOST}`,
    `--advertise-address=${HOST}`,
    // A loopback address is not a valid Endpoints IP, so the `kubernetes` Service cannot get
    // endpoints here. Nothing uses in-cluster service networking on this cluster (every client,
    // the operator included, comes in through a kubeconfig), so do not reconcile them.
    '--endpoint-reconciler-type=none',
    `--secure-port=${l.ports.apiserver}`,
    `--tls-cert-file=${p.apiserverCert}`,
    `--tls-private-key-file=${p.apiserverKey}`,
    `--client-ca-file=${p.caCert}`,
    // As kubeadm: node identities are limited by the Node authorizer + NodeRestriction, everyone
    // else by RBAC. The default admission chain (NamespaceLifecycle, LimitRanger, ServiceAccount,
    // ResourceQuota, PodSecurity, Priority, DefaultTolerationSeconds, TaintNodesByCondition, the
    // webhook and policy plugins, …) stays on; NodeRestriction is added.
    '--authorization-mode=Node,RBAC',
    '--enable-admission-plugins=NodeRestriction',
    `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
    `--service-account-key-file=${p.saPub}`,
    `--service-account-signing-key-file=${p.saKey}`,
    `--service-cluster-ip-range=${l.serviceCidr}`,
    '--allow-privileged=true',
    // The aggregation layer's front proxy, as kubeadm configures it: components then trust
    // requests proxied by the apiserver to extension apiservers.
    `--requestheader-client-ca-file=${p.frontProxyCaCert}`,
    '--requestheader-allowed-names=front-proxy-client',
    '--requestheader-extra-headers-prefix=X-Remote-Extra-',
    '--requestheader-group-headers=X-Remote-Group',
    '--requestheader-username-headers=X-Remote-User',
    `--proxy-client-cert-file=${p.frontProxyClientCert}`,
    `--proxy-client-key-file=${p.frontProxyClientKey}`,
    '--profiling=false',
    '--v=1',
  ];
}

function componentCommon(kubeconfig: string, port: number, cert: string, key: string, caCert: string): string[] {
  return [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    `--bind-address=${HOST}`,
    `--secure-port=${port}`,
    `--tls-cert-file=${cert}`,
    `--tls-private-key-file=${key}`,
    `--client-ca-file=${caCert}`,
    // One instance per cluster: no leader election, no wait for a lease on start.
    '--leader-elect=false',
    '--profiling=false',
    '--v=1',
  ];
}

export function controllerManagerArgs(l: ClusterLayout): string[] {
  const p = paths(l.runDir);
  return [
    ...componentCommon(p.controllerManagerKubeconfig, l.ports.controllerManager, p.controllerManagerCert, p.controllerManagerKey, p.caCert),
    // Service-account token controller: signs legacy token Secrets and publishes ca.crt.
    `--service-account-private-key-file=${p.saKey}`,
    `--root-ca-file=${p.caCert}`,
    // Each controller runs under its own service account, as on kubeadm clusters.
    '--use-service-account-credentials=true',
    `--cluster-signing-cert-file=${p.caCert}`,
    `--cluster-signing-key-file=${p.caKey}`,
    `--service-cluster-ip-range=${l.serviceCidr}`,
    '--controllers=*,bootstrapsigner,tokencleaner',
  ];
}

export function schedulerArgs(l: ClusterLayout): string[] {
  const p = paths(l.runDir);
  return componentCommon(p.schedulerKubeconfig, l.ports.scheduler, p.schedulerCert, p.schedulerKey, p.caCert);
}

/** The first usable address of the service range: the ClusterIP of `kubernetes.default`. */
export function firstServiceIP(cidr: string): string {
  const [ip] = cidr.split('/');
  const o = (ip ?? '').split('.').map(Number);
  if (o.length !== 4 || o.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) throw new Error(`invalid service CIDR ${cidr}`);
  return `${o[0]}.${o[1]}.${o[2]}.${o[3]! + 1}`;
}
