// Reading errors of @kubernetes/client-node calls: the HTTP status of an ApiException (`.code`) and
// the apiserver's own words (the `message` of the metav1.Status in `.body`, which client-node 2.x
// hands over as the raw response text). Pure; never throws.

export interface ApiFailure {
  /** HTTP status, when the apiserver answered; undefined for network errors and the like. */
  status?: number;
  /** metav1.Status reason ("Conflict", "NotFound", "Invalid", "Forbidden", …), when present. */
  reason?: string;
  /** The apiserver's message, or the error's own message when there is no Status body. */
  message: string;
}

function statusBody(body: unknown): { message?: string; reason?: string } | undefined {
  let v: unknown = body;
  if (typeof body === 'string') {
    try {
      v = JSON.parse(body);
    } catch {
      const text = body.trim();
      return text ? { message: text.slice(0, 2048) } : undefined;
    }
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const { message, reason } = v as { message?: unknown; reason?: unknown };
  return {
    ...(typeof message === 'string' && message ? { message } : {}),
    ...(typeof reason === 'string' && reason ? { reason } : {}),
  };
}

/** Describes any error thrown by a client-node call. */
export function apiFailure(e: unknown): ApiFailure {
  const code = typeof e === 'object' && e !== null && 'code' in e ? e.code : undefined;
  const status = typeof code === 'number' ? code : undefined;
  const body = status !== undefined ? statusBody((e as { body?: unknown }).body) : undefined;
  const own = e instanceof Error ? (e.message.split('\n')[0] ?? e.message) : String(e);
  return {
    ...(status !== undefined ? { status } : {}),
    ...(body?.reason ? { reason: body.reason } : {}),
    message: body?.message ?? (status !== undefined ? `HTTP ${status}: ${own}` : own),
  };
}
