// Policies: list, add (or replace), delete.
import { useState } from 'preact/hooks';
import { api, enc } from '../api.js';
import { ActionResult, ConfirmButton, ErrorBox, Field, Section, VhostSelect } from '../components.js';
import { parseJsonObject } from '../parse.js';
import { keyValues } from '../format.js';
import { useAction, usePoll } from '../hooks.js';

interface Policy {
  vhost: string;
  name: string;
  pattern: string;
  'apply-to': string;
  definition: Record<string, unknown>;
  priority: number;
}

export function PoliciesPage() {
  const policies = usePoll(() => api<Policy[]>('/policies'), 'policies');
  const action = useAction();
  const remove = (p: Policy) => action.run(() => api(`/policies/${enc(p.vhost)}/${enc(p.name)}`, { method: 'DELETE' }), `Policy ${p.name} deleted.`, policies.reload);
  return (
    <div data-testid="page-policies">
      <h1>Policies</h1>
      <ErrorBox error={policies.error} />
      <ActionResult action={action} />
      <table data-testid="policies-table">
        <thead>
          <tr>
            <th>Virtual host</th>
            <th>Name</th>
            <th>Pattern</th>
            <th>Apply to</th>
            <th>Definition</th>
            <th>Priority</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {policies.data?.map((p) => (
            <tr key={`${p.vhost}\u0000${p.name}`} data-testid="policy-row" data-name={p.name}>
              <td>{p.vhost}</td>
              <td>{p.name}</td>
              <td>
                <code>{p.pattern}</code>
              </td>
              <td>{p['apply-to']}</td>
              <td>{keyValues(p.definition)}</td>
              <td class="num">{p.priority}</td>
              <td>
                <ConfirmButton label="Delete" testid="policy-delete" disabled={action.busy} onConfirm={() => void remove(p)} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {policies.data && policies.data.length === 0 && <p class="muted">No policies.</p>}
      <Section title="Add / update a policy">
        <AddPolicyForm after={policies.reload} />
      </Section>
    </div>
  );
}

function AddPolicyForm({ after }: { after: () => void }) {
  const action = useAction();
  const [vhost, setVhost] = useState('/');
  const [name, setName] = useState('');
  const [pattern, setPattern] = useState('');
  const [applyTo, setApplyTo] = useState('all');
  const [priority, setPriority] = useState('0');
  const [definition, setDefinition] = useState('');
  const submit = (e: Event) => {
    e.preventDefault();
    void action.run(
      async () => {
        if (!name.trim()) throw new Error('Name is required');
        const body = { pattern, 'apply-to': applyTo, priority: Number(priority) || 0, definition: parseJsonObject(definition, 'Definition') };
        await api(`/policies/${enc(vhost)}/${enc(name)}`, { method: 'PUT', body });
        return `Policy ${name} set.`;
      },
      undefined,
      after,
    );
  };
  return (
    <form class="form" onSubmit={submit} data-testid="add-policy-form">
      <Field label="Virtual host">
        <VhostSelect value={vhost} onChange={setVhost} />
      </Field>
      <Field label="Name">
        <input value={name} data-testid="add-policy-name" onInput={(e) => setName(e.currentTarget.value)} />
      </Field>
      <Field label="Pattern (regexp)">
        <input value={pattern} data-testid="add-policy-pattern" onInput={(e) => setPattern(e.currentTarget.value)} />
      </Field>
      <Field label="Apply to">
        <select value={applyTo} onChange={(e) => setApplyTo(e.currentTarget.value)}>
          <option value="all">Exchanges and queues</option>
          <option value="queues">Queues</option>
          <option value="exchanges">Exchanges</option>
        </select>
      </Field>
      <Field label="Priority">
        <input type="number" value={priority} onInput={(e) => setPriority(e.currentTarget.value)} />
      </Field>
      <Field label="Definition (JSON object)">
        <input value={definition} placeholder='{"max-length": 1000}' data-testid="add-policy-definition" onInput={(e) => setDefinition(e.currentTarget.value)} />
      </Field>
      <div class="actions">
        <button type="submit" disabled={action.busy} data-testid="add-policy-submit">
          Add / update policy
        </button>
      </div>
      <ActionResult action={action} />
    </form>
  );
}
