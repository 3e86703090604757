// Small preact hooks: hash routing, polling an API call, and running one user action at a time.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { listPage } from './api.js';

/** The hash path split into decoded segments: `#/queues/%2F/q1` → ['queues', '/', 'q1']. */
export function parseHash(hash: string): string[] {
  return hash
    .replace(/^#\/?/, '')
    .split('/')
    .filter((s) => s !== '')
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
}

export function useHashRoute(): string[] {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseHash(location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

export function href(...segments: string[]): string {
  return `#/${segments.map(encodeURIComponent).join('/')}`;
}

export interface Polled<T> {
  data: T | undefined;
  error: unknown;
  reload: () => void;
}

/**
 * Calls `load` now, whenever `key` changes, and every `intervalMs` while the page is shown. Answers
 * from an older key or an older call are dropped, so a slow answer never overwrites a newer one.
 */
export function usePoll<T>(load: () => Promise<T>, key: string, intervalMs = 5000): Polled<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [tick, setTick] = useState(0);
  const generation = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    let active = true;
    const run = async () => {
      const mine = ++generation.current;
      try {
        const value = await loadRef.current();
        if (active && mine === generation.current) {
          setData(value);
          setError(undefined);
        }
      } catch (err) {
        if (active && mine === generation.current) setError(err);
      }
    };
    void run();
    const timer = setInterval(() => void run(), intervalMs);
    return () => {
      active = false;
      clearInterval(timer);
    };
  }, [key, tick, intervalMs]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, reload };
}

export interface Action {
  busy: boolean;
  error: unknown;
  message: string;
  /** Runs `work`; on success shows `done` (or what `work` returns) and calls `after`. */
  run: (work: () => Promise<string | void>, done?: string, after?: () => void) => Promise<boolean>;
  clear: () => void;
}

/** State for a form or button that calls the API: busy flag, last error, last success message. */
export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const [message, setMessage] = useState('');
  const run = useCallback(async (work: () => Promise<string | void>, done?: string, after?: () => void) => {
    setBusy(true);
    setError(undefined);
    setMessage('');
    try {
      const result = await work();
      setMessage(result ?? done ?? '');
      after?.();
      return true;
    } catch (err) {
      setError(err);
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  const clear = useCallback(() => {
    setError(undefined);
    setMessage('');
  }, []);
  return { busy, error, message, run, clear };
}

/** A paginated, name-filtered list endpoint such as /queues, polled every 5 s. */
export function usePagedList<T>(path: string, pageSize = 100) {
  const [state, setState] = useState({ page: 1, filter: '' });
  const polled = usePoll(() => listPage<T>(path, state.page, pageSize, state.filter), `${path}|${state.page}|${state.filter}`);
  return { state, setState, ...polled };
}
