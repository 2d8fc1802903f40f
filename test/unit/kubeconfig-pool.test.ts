// PooledKubeConfig hands every request with the same connection identity the same undici agent
// (client-node builds one per request), for a while; exec-plugin users are left as they were.
import { HttpMethod, KubeConfig, RequestContext } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { PooledKubeConfig } from '../../src/kube/kubeconfig.ts';

const CA = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64');

function load<K extends KubeConfig>(kc: K, user: Record<string, unknown> = { name: 'u', token: 't' }, server = 'https://127.0.0.1:6443'): K {
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, caData: CA }],
    users: [user],
    contexts: [{ name: 'ctx', cluster: 'c', user: String(user.name) }],
    currentContext: 'ctx',
  });
  return kc;
}

async function dispatcherOf(kc: KubeConfig): Promise<unknown> {
  const ctx = new RequestContext('https://127.0.0.1:6443/api/v1/pods', HttpMethod.GET);
  await kc.applySecurityAuthentication(ctx);
  return ctx.getDispatcher();
}

describe('PooledKubeConfig', () => {
  it('client-node alone builds an agent per request (why this exists)', async () => {
    const kc = load(new KubeConfig());
    expect(await dispatcherOf(kc)).not.toBe(await dispatcherOf(kc));
  });

  it('shares one agent across requests, still applying the credentials per request', async () => {
    const kc = load(new PooledKubeConfig());
    const first = await dispatcherOf(kc);
    expect(first).toBeDefined();
    expect(await dispatcherOf(kc)).toBe(first);
    const ctx = new RequestContext('https://127.0.0.1:6443/api', HttpMethod.GET);
    await kc.applySecurityAuthentication(ctx);
    expect(ctx.getHeaders().Authorization).toBe('Bearer t');
  });

  it('builds a new agent after the time to live, and for another identity', async () => {
    const kc = load(new PooledKubeConfig(0));
    expect(await dispatcherOf(kc)).not.toBe(await dispatcherOf(kc));
    const a = load(new PooledKubeConfig());
    const first = await dispatcherOf(a);
    a.loadFromOptions({
      clusters: [{ name: 'c2', server: 'https://127.0.0.2:6443', caData: CA }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'ctx', cluster: 'c2', user: 'u' }],
      currentContext: 'ctx',
    });
    expect(await dispatcherOf(a)).not.toBe(first);
  });

  it('leaves exec-plugin users alone: their client certificate may change at any request', async () => {
    // The plugin is never run: applySecurityAuthentication would, so check the identity only.
    const kc = load(new PooledKubeConfig(), { name: 'e', exec: { command: 'false', apiVersion: 'client.authentication.k8s.io/v1' } });
    expect((kc as unknown as { identity(): string | undefined }).identity()).toBeUndefined();
    const plain = load(new PooledKubeConfig());
    expect((plain as unknown as { identity(): string | undefined }).identity()).toBeDefined();
  });
});
