// Shared pieces of the pages: error and success boxes, a two-step delete button, the vhost picker
// and the filter/pager bar of the list pages.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError, api, type ListResult } from './api.js';
import { usePoll, type Action } from './hooks.js';

export function ErrorBox({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null;
  if (error instanceof ApiError) {
    return (
      <div class="error" role="alert" data-testid="error">
        <strong>{error.status ? `${error.status} ${error.error}` : error.error}</strong>
        {error.reason && <span data-testid="error-reason">{error.reason}</span>}
      </div>
    );
  }
  return (
    <div class="error" role="alert" data-testid="error">
      <strong>{error instanceof Error ? error.message : String(error)}</strong>
    </div>
  );
}

/** The outcome of the last action: its error or its success message. */
export function ActionResult({ action }: { action: Action }) {
  if (action.error !== undefined) return <ErrorBox error={action.error} />;
  if (!action.message) return null;
  return (
    <div class="notice" role="status" data-testid="notice">
      {action.message}
    </div>
  );
}

export function Section({ title, children, testid }: { title: string; children: ComponentChildren; testid?: string }) {
  return (
    <section class="section" data-testid={testid}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

/** Asks for a second click before doing something that cannot be undone. */
export function ConfirmButton({ label, onConfirm, testid, disabled }: { label: string; onConfirm: () => void; testid?: string; disabled?: boolean }) {
  const [armed, setArmed] = useState(false);
  if (!armed) {
    return (
      <button type="button" class="danger" data-testid={testid} disabled={disabled} onClick={() => setArmed(true)}>
        {label}
      </button>
    );
  }
  return (
    <span class="confirm">
      <button
        type="button"
        class="danger"
        data-testid={testid ? `${testid}-confirm` : undefined}
        onClick={() => {
          setArmed(false);
          onConfirm();
        }}
      >
        Confirm {label.toLowerCase()}
      </button>
      <button type="button" onClick={() => setArmed(false)}>
        Cancel
      </button>
    </span>
  );
}

interface Vhost {
  name: string;
}

/** A <select> of the broker's virtual hosts; shows the typed value while the list loads. */
export function VhostSelect({ value, onChange, testid }: { value: string; onChange: (v: string) => void; testid?: string }) {
  const vhosts = usePoll(() => api<Vhost[]>('/vhosts?columns=name'), 'vhosts', 30000);
  const names = vhosts.data?.map((v) => v.name) ?? [];
  if (!names.includes(value)) names.unshift(value);
  return (
    <select value={value} data-testid={testid} onChange={(e) => onChange(e.currentTarget.value)}>
      {names.map((n) => (
        <option key={n} value={n}>
          {n}
        </option>
      ))}
    </select>
  );
}

export function Field({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <label class="field">
      <span>{label}</span>
      {children}
    </label>
  );
}

export interface PagerState {
  page: number;
  filter: string;
}

/** Name filter and page navigation above a paginated list. */
export function ListControls<T>({ state, setState, result, testid }: { state: PagerState; setState: (s: PagerState) => void; result: ListResult<T> | undefined; testid: string }) {
  return (
    <div class="list-controls">
      <input
        type="search"
        placeholder="Filter by name"
        value={state.filter}
        data-testid={`${testid}-filter`}
        onInput={(e) => setState({ page: 1, filter: e.currentTarget.value })}
      />
      {result && (
        <span class="pager">
          <button type="button" disabled={result.page <= 1} onClick={() => setState({ ...state, page: result.page - 1 })}>
            ‹
          </button>
          <span data-testid={`${testid}-count`}>
            page {result.page} of {Math.max(result.pageCount, 1)} · {result.filteredCount} of {result.totalCount}
          </span>
          <button type="button" disabled={result.page >= result.pageCount} onClick={() => setState({ ...state, page: result.page + 1 })}>
            ›
          </button>
        </span>
      )}
    </div>
  );
}
