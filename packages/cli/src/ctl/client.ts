// The HTTP client `warren ctl` uses: basic auth, JSON, and failures turned into CtlError with
// the exit status rabbitmqctl would use (sysexits).

/** Exit statuses, as rabbitmqctl uses them. */
export const EXIT = { ok: 0, failure: 1, usage: 64, dataErr: 65, unavailable: 69, noPerm: 77 } as const;

export class CtlError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}

export interface CtlConnection {
  url: string;
  user: string;
  password: string;
}

export class ApiClient {
  constructor(private readonly conn: CtlConnection) {}

  /** `path` is under /api/; returns the parsed JSON body (undefined when empty). */
  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<unknown> {
    const base = this.conn.url.replace(/\/+$/, '');
    const h: Record<string, string> = {
      authorization: 'Basic ' + Buffer.from(`${this.conn.user}:${this.conn.password}`).toString('base64'),
      ...headers,
    };
    let payload: string | undefined;
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body);
      h['content-type'] = 'application/json';
    }
    let res: Response;
    try {
      res = await fetch(`${base}/api/${path}`, { method, headers: h, body: payload, signal: AbortSignal.timeout(60_000) });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new CtlError(`cannot reach the management API at ${base}: ${cause?.code ?? cause?.message ?? (err as Error).message}`, EXIT.unavailable);
    }
    const text = await res.text();
    let json: unknown;
    if (text !== '') {
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
    }
    if (res.ok) return json;
    const reason = describeReason(json, text);
    if (res.status === 401) throw new CtlError(`access refused: ${reason}`, EXIT.noPerm);
    if (res.status === 404) throw new CtlError(`not found: ${method} /api/${decodeURIComponent(path)}`, EXIT.dataErr);
    throw new CtlError(reason, res.status >= 500 ? EXIT.failure : EXIT.dataErr);
  }

  get(path: string): Promise<unknown> {
    return this.request('GET', path);
  }
}

function describeReason(json: unknown, text: string): string {
  if (json !== null && typeof json === 'object' && 'reason' in json) {
    const r = (json as { reason: unknown }).reason;
    return typeof r === 'string' ? r : JSON.stringify(r);
  }
  return text.trim() || 'request failed';
}

export const enc = encodeURIComponent;
