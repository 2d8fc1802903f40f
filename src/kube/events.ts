// Kubernetes Events about our objects (core/v1 Events, visible in `kubectl describe` and
// `kubectl get events --field-selector reason=…`). An identical event (object, reason, message)
// is not repeated within `dedupeMs`, so a policy reconciled every few seconds does not flood.
// Recording never throws: an event is evidence, not a step the controller depends on.
import { randomBytes } from 'node:crypto';
import type { CoreV1Api, KubernetesObject } from '@kubernetes/client-node';

export type EventType = 'Normal' | 'Warning';

export class EventRecorder {
  private readonly core: CoreV1Api;
  private readonly component: string;
  private readonly dedupeMs: number;
  private readonly recent = new Map<string, number>();
  private readonly onError: (e: unknown) => void;

  constructor(core: CoreV1Api, component = 'attune', dedupeMs = 10 * 60_000, onError: (e: unknown) => void = () => undefined) {
    this.core = core;
    this.component = component;
    this.dedupeMs = dedupeMs;
    this.onError = onError;
  }

  /** Sends the event; false when it was a repeat within `dedupeMs` or could not be sent. */
  async record(obj: KubernetesObject, type: EventType, reason: string, message: string): Promise<boolean> {
    const { namespace, name, uid } = obj.metadata ?? {};
    if (!namespace || !name) return false;
    const key = `${uid ?? `${namespace}/${name}`}|${reason}|${message}`;
    const now = Date.now();
    if ((this.recent.get(key) ?? 0) > now - this.dedupeMs) return false;
    this.recent.set(key, now);
    if (this.recent.size > 10_000) for (const [k, t] of this.recent) if (t <= now - this.dedupeMs) this.recent.delete(k);
    try {
      await this.core.createNamespacedEvent({
        namespace,
        body: {
          metadata: { name: `${name}.${randomBytes(8).toString('hex')}`, namespace },
          involvedObject: { apiVersion: obj.apiVersion, kind: obj.kind, name, namespace, ...(uid ? { uid } : {}) },
          reason,
          message: message.slice(0, 1024),
          type,
          source: { component: this.component },
          reportingComponent: this.component,
          reportingInstance: this.component,
          firstTimestamp: new Date(now),
          lastTimestamp: new Date(now),
          count: 1,
        },
      });
      return true;
    } catch (e) {
      this.onError(e);
      return false;
    }
  }
}
