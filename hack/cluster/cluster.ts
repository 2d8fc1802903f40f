// A real local Kubernetes control plane as plain processes on 127.0.0.1: etcd, kube-apiserver,
// kube-controller-manager and kube-scheduler, with their own CA, certificates and kubeconfigs in
// one run folder. Used by the vitest global setup, by e2e tests and by `make cluster-up`.
//
// Contract: startCluster() either resolves with every component ready (apiserver /readyz, the
// controller-manager and scheduler /healthz, and the controller-manager's first effect: the
// `default` ServiceAccount) or rejects with a one-line StartError naming the cause and the log
// file, having stopped whatever it had started. stop() stops everything, in reverse order.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveBinaries, type Binaries } from './binaries.ts';
import {
  apiserverArgs,
  controllerManagerArgs,
  etcdArgs,
  firstServiceIP,
  HOST,
  paths,
  schedulerArgs,
  type ClusterLayout,
  type ClusterPorts,
} from './components.ts';
import { renderKubeconfig } from './kubeconfig.ts';
import { createCA, createServiceAccountKeys, issueClientCert, issueServingCert, type PemPair } from './pki.ts';
import { freePorts } from './ports.ts';
import { get, waitFor, type TlsIdentity } from './probe.ts';
import { exitedAtStart, startProcess, StartError, type ManagedProcess } from './process.ts';

export interface ClusterOptions {
  /** Run folder: certificates, etcd data, logs, kubeconfigs. Created if missing. */
  runDir: string;
  /** Remove the run folder on stop (default: false, so logs can be read after a failure). */
  removeOnStop?: boolean;
  serviceCidr?: string;
  /** Fixed ports instead of free ones (e.g. to keep a dev cluster's address stable). */
  ports?: Partial<ClusterPorts>;
  startTimeoutMs?: number;
  binaries?: Binaries;
}

export interface ClusterState {
  runDir: string;
  kubeconfig: string;
  server: string;
  ports: ClusterLayout['ports'];
  pids: Record<string, number>;
  logs: Record<string, string>;
  version: string;
  startedInMs: number;
}

export interface LocalCluster extends ClusterState {
  /** PEM material for clients the tests build (e.g. node identities). */
  readonly ca: { certPem: string; keyPem: string };
  readonly admin: PemPair;
  readonly processes: readonly ManagedProcess[];
  stop(): Promise<void>;
}

export const ADMIN_USER = 'attune-admin';

export async function startCluster(opts: ClusterOptions): Promise<LocalCluster> {
  const t0 = Date.now();
  const bins = opts.binaries ?? resolveBinaries();
  const serviceCidr = opts.serviceCidr ?? '10.96.0.0/16';
  const timeoutMs = opts.startTimeoutMs ?? 120_000;
  const p = paths(opts.runDir);
  await mkdir(p.pki, { recursive: true });
  await mkdir(p.logs, { recursive: true });

  const [etcdClient, etcdPeer, apiserver, controllerManager, scheduler] = (await freePorts(5)) as [number, number, number, number, number];
  const ports: ClusterPorts = { etcdClient, etcdPeer, apiserver, controllerManager, scheduler, ...opts.ports };
  const layout: ClusterLayout = { runDir: opts.runDir, serviceCidr, ports };
  const server = `https://${HOST}:${ports.apiserver}`;

  // --- PKI and kubeconfigs -------------------------------------------------------------------
  const ca = await createCA('attune-local-ca');
  const frontProxyCa = await createCA('attune-front-proxy-ca');
  const serving = (cn: string, dns: string[] = [], ips: string[] = []) =>
    issueServingCert(ca, { commonName: cn, dnsNames: ['localhost', ...dns], ips: [HOST, ...ips] });
  const [apiCert, kcmCert, schedCert, sa, admin, kcmClient, schedClient, frontProxyClient] = await Promise.all([
    // In-cluster clients reach the apiserver as kubernetes.default… or by the service IP.
    serving(
      'kube-apiserver',
      ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
      [firstServiceIP(serviceCidr)],
    ),
    serving('kube-controller-manager'),
    serving('kube-scheduler'),
    createServiceAccountKeys(),
    issueClientCert(ca, { commonName: ADMIN_USER, organizations: ['system:masters'] }),
    issueClientCert(ca, { commonName: 'system:kube-controller-manager' }),
    issueClientCert(ca, { commonName: 'system:kube-scheduler' }),
    issueClientCert(frontProxyCa, { commonName: 'front-proxy-client' }),
  ]);
  const kubeconfig = (name: string, id: PemPair) => renderKubeconfig({ server, caPem: ca.certPem, certPem: id.certPem, keyPem: id.keyPem, name });
  await Promise.all([
    writeFile(p.caCert, ca.certPem),
    writeFile(p.caKey, ca.keyPem, { mode: 0o600 }),
    writeFile(p.apiserverCert, apiCert.certPem),
    writeFile(p.apiserverKey, apiCert.keyPem, { mode: 0o600 }),
    writeFile(p.controllerManagerCert, kcmCert.certPem),
    writeFile(p.controllerManagerKey, kcmCert.keyPem, { mode: 0o600 }),
    writeFile(p.schedulerCert, schedCert.certPem),
    writeFile(p.schedulerKey, schedCert.keyPem, { mode: 0o600 }),
    writeFile(p.frontProxyCaCert, frontProxyCa.certPem),
    writeFile(p.frontProxyClientCert, frontProxyClient.certPem),
    writeFile(p.frontProxyClientKey, frontProxyClient.keyPem, { mode: 0o600 }),
    writeFile(p.saPub, sa.publicKeyPem),
    writeFile(p.saKey, sa.privateKeyPem, { mode: 0o600 }),
    writeFile(p.adminKubeconfig, kubeconfig('attune-local', admin), { mode: 0o600 }),
    writeFile(p.controllerManagerKubeconfig, kubeconfig('kube-controller-manager', kcmClient), { mode: 0o600 }),
    writeFile(p.schedulerKubeconfig, kubeconfig('kube-scheduler', schedClient), { mode: 0o600 }),
  ]);

  // --- processes -------------------------------------------------------------------------------
  const procs: ManagedProcess[] = [];
  const stopAll = async () => {
    for (const proc of [...procs].reverse()) await proc.stop();
  };
  const start = (name: string, bin: string, args: string[]) => {
    const proc = startProcess(name, bin, args, join(p.logs, `${name}.log`));
    procs.push(proc);
    return proc;
  };
  // While waiting on one component, any started component dying is fatal (and is the cause).
  const firstDead = () => procs.find((x) => x.hasExited());
  const wait = async (proc: ManagedProcess, what: string, check: () => Promise<boolean>) => {
    try {
      await waitFor(what, check, { timeoutMs, abort: () => (firstDead() ? new Error('exited') : undefined) });
    } catch (e) {
      const dead = firstDead();
      if (dead) throw exitedAtStart(dead, await dead.exited);
      throw new StartError(`${proc.name}: ${e instanceof Error ? e.message : String(e)}`, proc.logFile);
    }
  };
  const adminTls: TlsIdentity = { ca: ca.certPem, cert: admin.certPem, key: admin.keyPem };
  const caOnly: TlsIdentity = { ca: ca.certPem };
  const ok = (url: string, tls?: TlsIdentity) => async () => (await get(url, tls)).status === 200;

  let version: string;
  try {
    const etcd = start('etcd', bins.etcd, etcdArgs(layout));
    await wait(etcd, 'etcd /health', async () => {
      const r = await get(`http://${HOST}:${ports.etcdClient}/health`);
      return r.status === 200 && r.body.includes('true');
    });

    const api = start('kube-apiserver', bins.kubeApiserver, apiserverArgs(layout));
    await wait(api, 'kube-apiserver /readyz', ok(`${server}/readyz`, adminTls));

    const kcm = start('kube-controller-manager', bins.kubeControllerManager, controllerManagerArgs(layout));
    const sched = start('kube-scheduler', bins.kubeScheduler, schedulerArgs(layout));
    await wait(kcm, 'kube-controller-manager /healthz', ok(`https://${HOST}:${ports.controllerManager}/healthz`, caOnly));
    await wait(sched, 'kube-scheduler /healthz', ok(`https://${HOST}:${ports.scheduler}/healthz`, caOnly));
    // The service-account controller creating `default` proves the controllers actually run.
    await wait(kcm, 'the default ServiceAccount (controller-manager working)', ok(`${server}/api/v1/namespaces/default/serviceaccounts/default`, adminTls));

    const v = await get(`${server}/version`, adminTls);
    version = (JSON.parse(v.body) as { gitVersion: string }).gitVersion;
  } catch (e) {
    await stopAll();
    throw e;
  }

  const state: ClusterState = {
    runDir: opts.runDir,
    kubeconfig: p.adminKubeconfig,
    server,
    ports: layout.ports,
    pids: Object.fromEntries(procs.map((x) => [x.name, x.pid])),
    logs: Object.fromEntries(procs.map((x) => [x.name, x.logFile])),
    version,
    startedInMs: Date.now() - t0,
  };
  await writeFile(p.state, JSON.stringify(state, null, 2));

  let stopping: Promise<void> | undefined;
  return {
    ...state,
    ca: { certPem: ca.certPem, keyPem: ca.keyPem },
    admin,
    processes: procs,
    stop() {
      stopping ??= (async () => {
        await stopAll();
        if (opts.removeOnStop) await rm(opts.runDir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}
