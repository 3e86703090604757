// Client for the RabbitMQ-compatible management HTTP API at /api on the same origin, with HTTP basic auth.
// Credentials live in sessionStorage so a reload keeps the login but closing the tab forgets it.

const STORAGE_KEY = 'warren.credentials';

export interface Credentials {
  username: string;
  password: string;
}

/** An error answer from the API: RabbitMQ's {"error","reason"} body plus the HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly reason: string,
  ) {
    super(reason ? `${error}: ${reason}` : error);
  }
}

export function loadCredentials(): Credentials | null {
  const raw = sessionStorage.getItem(STORAGE_KEY);
  if (!raw) return null;
  try {
    const parsed = JSON.parse(raw) as Partial<Credentials>;
    if (typeof parsed.username === 'string' && typeof parsed.password === 'string') {
      return { username: parsed.username, password: parsed.password };
    }
  } catch {
    // a corrupt entry counts as logged out
  }
  return null;
}

export function saveCredentials(credentials: Credentials | null): void {
  if (credentials) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(credentials));
  else sessionStorage.removeItem(STORAGE_KEY);
}

/** Called when the API answers 401 to a logged-in request, so the app can return to the login page. */
let onUnauthorized: () => void = () => {};
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

function authHeader(credentials: Credentials): string {
  // btoa takes Latin-1 only: encode the UTF-8 bytes of the user name and password first
  const bytes = new TextEncoder().encode(`${credentials.username}:${credentials.password}`);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return `Basic ${btoa(binary)}`;
}

/** `/` → `%2F`, as the API expects for vhost and object names in paths. */
export const enc = encodeURIComponent;

export interface RequestOptions {
  method?: 'GET' | 'PUT' | 'POST' | 'DELETE';
  body?: unknown;
  headers?: Record<string, string>;
  /** Use these instead of the stored credentials (the login form checks them before saving). */
  credentials?: Credentials;
}

/** Turns an error answer into an ApiError, from its {"error","reason"} body when it has one. */
export async function errorFrom(response: Response): Promise<ApiError> {
  const text = await response.text();
  try {
    const body = JSON.parse(text) as { error?: unknown; reason?: unknown };
    const error = typeof body.error === 'string' ? body.error : response.statusText;
    const reason = typeof body.reason === 'string' ? body.reason : body.reason === undefined ? '' : JSON.stringify(body.reason);
    return new ApiError(response.status, error || `HTTP ${response.status}`, reason);
  } catch {
    return new ApiError(response.status, response.statusText || `HTTP ${response.status}`, text.slice(0, 300));
  }
}

/** Sends one request to `/api${path}` and returns the parsed JSON answer (undefined for an empty body). */
export async function api<T = unknown>(path: string, options: RequestOptions = {}): Promise<T> {
  const credentials = options.credentials ?? loadCredentials();
  // no Accept: application/json — RabbitMQ answers 406 to it on DELETE …/contents (purge)
  const headers: Record<string, string> = { ...options.headers };
  if (credentials) headers.Authorization = authHeader(credentials);
  let body: string | undefined;
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  let response: Response;
  try {
    // credentials 'omit': the Authorization header is set explicitly, and with no browser-managed
    // credentials a 401 with WWW-Authenticate comes back to us instead of raising the browser's prompt
    response = await fetch(`/api${path}`, { method: options.method ?? 'GET', headers, body, cache: 'no-store', credentials: 'omit' });
  } catch (err) {
    throw new ApiError(0, 'Network error', err instanceof Error ? err.message : String(err));
  }
  if (!response.ok) {
    const error = await errorFrom(response);
    if (response.status === 401 && !options.credentials) onUnauthorized();
    throw error;
  }
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Paginated list answer, as returned when `page` is given. */
interface Page<T> {
  items: T[];
  filtered_count: number;
  total_count: number;
  page: number;
  page_count: number;
}

export interface ListResult<T> {
  items: T[];
  page: number;
  pageCount: number;
  filteredCount: number;
  totalCount: number;
}

/** Fetches one page of a list endpoint; an API that ignores paging (a plain array) is accepted too. */
export async function listPage<T>(path: string, page: number, pageSize: number, name: string): Promise<ListResult<T>> {
  const query = new URLSearchParams({ page: String(page), page_size: String(pageSize) });
  if (name) {
    query.set('name', name);
    query.set('use_regex', 'false');
  }
  const answer = await api<T[] | Page<T>>(`${path}?${query}`);
  if (Array.isArray(answer)) {
    return { items: answer, page: 1, pageCount: 1, filteredCount: answer.length, totalCount: answer.length };
  }
  return {
    items: answer.items,
    page: answer.page,
    pageCount: answer.page_count,
    filteredCount: answer.filtered_count,
    totalCount: answer.total_count,
  };
}
