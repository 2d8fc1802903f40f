// Pure parts of the local-cluster launcher: flags, kubeconfigs, certificates, error extraction.
import { X509Certificate } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parseVersionsEnv } from '../../hack/cluster/binaries.ts';
import { apiserverArgs, controllerManagerArgs, etcdArgs, firstServiceIP, schedulerArgs, type ClusterLayout } from '../../hack/cluster/components.ts';
import { renderKubeconfig } from '../../hack/cluster/kubeconfig.ts';
import { startCause } from '../../hack/cluster/log-cause.ts';
import { createCA, issueClientCert, issueServingCert } from '../../hack/cluster/pki.ts';

const layout: ClusterLayout = {
  runDir: '/r',
  serviceCidr: '10.96.0.0/16',
  ports: { etcdClient: 1001, etcdPeer: 1002, apiserver: 1003, controllerManager: 1004, scheduler: 1005 },
};

describe('component flags', () => {
  const all = { etcd: etcdArgs(layout), apiserver: apiserverArgs(layout), kcm: controllerManagerArgs(layout), scheduler: schedulerArgs(layout) };

  it.each(Object.entries(all))('%s listens on 127.0.0.1 only', (_name, args) => {
    const listen = args.filter((a) => /^--(bind-address|listen-[a-z-]+urls|advertise-address)=/.test(a));
    expect(listen.length).toBeGreaterThan(0);
    for (const a of listen) expect(a).toMatch(/=(https?:\/\/)?127\.0\.0\.1(:\d+)?$/);
  });

  it('each component gets its own port from the layout', () => {
    expect(all.etcd).toContain('--listen-client-urls=http://127.0.0.1:1001');
    expect(all.etcd).toContain('--listen-peer-urls=http://127.0.0.1:1002');
    expect(all.apiserver).toContain('--secure-port=1003');
    expect(all.apiserver).toContain('--etcd-servers=http://127.0.0.1:1001');
    expect(all.kcm).toContain('--secure-port=1004');
    expect(all.scheduler).toContain('--secure-port=1005');
  });

  it('the apiserver authorizes with Node and RBAC and keeps the default admission chain', () => {
    expect(all.apiserver).toContain('--authorization-mode=Node,RBAC');
    expect(all.apiserver).toContain('--enable-admission-plugins=NodeRestriction');
    expect(all.apiserver.some((a) => a.startsWith('--disable-admission-plugins'))).toBe(false);
  });

  it('the controller-manager can sign service-account tokens', () => {
    expect(all.kcm).toContain('--service-account-private-key-file=/r/pki/sa.key');
    expect(all.apiserver).toContain('--service-account-key-file=/r/pki/sa.pub');
  });

  it.each([
    ['10.96.0.0/16', '10.96.0.1'],
    ['10.0.0.0/24', '10.0.0.1'],
  ])('first service IP of %s is %s', (cidr, ip) => expect(firstServiceIP(cidr)).toBe(ip));
  it('rejects a malformed service CIDR', () => expect(() => firstServiceIP('10.96/16')).toThrow(/invalid service CIDR/));
});

describe('startCause', () => {
  it.each([
    [
      'port clash wins over later noise',
      'I1122 x\nE1122 04:00:00.000000 1 server.go:1] "failed" err="listen tcp 127.0.0.1:43210: bind: address already in use"\nF1122 04:00:00.1 1 x.go:2] exiting',
      'port 43210 is already in use (port clash)',
    ],
    ['klog prefix stripped', 'I1122 04:00:00.000000   12 a.go:1] ok\nE1122 04:00:00.000001   12 run.go:72] "command failed" err="unknown flag: --bogus"', '"command failed" err="unknown flag: --bogus"'],
    ['etcd 3.4 prefix stripped', '2026-11-22 04:00:00.000000 C | etcdmain: cannot access data directory: permission denied', 'etcdmain: cannot access data directory: permission denied'],
    ['falls back to the last line', 'starting\nbye', 'bye'],
  ])('%s', (_what, log, cause) => expect(startCause(log)).toBe(cause));

  it('is undefined for an empty log', () => expect(startCause('\n\n')).toBeUndefined());
  it('keeps the cause to one short line', () => expect(startCause(`error: ${'x'.repeat(1000)}`)!.length).toBeLessThanOrEqual(240));
});

describe('versions.env', () => {
  it('reads the pinned versions', () => {
    expect(parseVersionsEnv('# c\nK8S_VERSION=v1.35.4\nETCD_DEB_VERSION=3.4.23-4+b4\nPROMETHEUS_DEB_VERSION=2.42.0+ds-5\n')).toMatchObject({ K8S_VERSION: 'v1.35.4' });
  });
  it('names a missing key', () => expect(() => parseVersionsEnv('K8S_VERSION=v1\n')).toThrow(/does not set ETCD_DEB_VERSION/));
});

describe('PKI and kubeconfig', () => {
  it('issues certificates that chain to the CA with the right names and usages', async () => {
    const ca = await createCA('test-ca');
    const caCert = new X509Certificate(ca.certPem);
    expect(caCert.ca).toBe(true);

    const serving = new X509Certificate((await issueServingCert(ca, { commonName: 'api', dnsNames: ['localhost'], ips: ['127.0.0.1'] })).certPem);
    expect(serving.verify(caCert.publicKey)).toBe(true);
    expect(serving.checkIssued(caCert)).toBe(true);
    expect(serving.subjectAltName).toContain('DNS:localhost');
    expect(serving.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(serving.checkIP('127.0.0.1')).toBe('127.0.0.1');

    const client = new X509Certificate((await issueClientCert(ca, { commonName: 'system:kube-scheduler', organizations: ['system:masters'] })).certPem);
    expect(client.verify(caCert.publicKey)).toBe(true);
    expect(client.subject).toContain('CN=system:kube-scheduler');
    expect(client.subject).toContain('O=system:masters');
    expect(client.keyUsage).toContain('1.3.6.1.5.5.7.3.2'); // clientAuth
  });

  it('renders a kubeconfig that client-node loads with the embedded credentials', () => {
    const text = renderKubeconfig({ server: 'https://127.0.0.1:6443', caPem: 'CA', certPem: 'CERT', keyPem: 'KEY', name: 'local', namespace: 'ns1' });
    const kc = new KubeConfig();
    kc.loadFromString(text);
    expect(kc.getCurrentCluster()).toMatchObject({ server: 'https://127.0.0.1:6443', caData: Buffer.from('CA').toString('base64') });
    expect(kc.getCurrentUser()).toMatchObject({ certData: Buffer.from('CERT').toString('base64'), keyData: Buffer.from('KEY').toString('base64') });
    expect(kc.getContextObject(kc.getCurrentContext())?.namespace).toBe('ns1');
  });
});
