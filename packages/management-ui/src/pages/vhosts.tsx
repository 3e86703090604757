// Virtual hosts: list, add, delete.
import { useState } from 'preact/hooks';
import { api, enc } from '../api.js';
import { ActionResult, ConfirmButton, ErrorBox, Field, Section } from '../components.js';
import { count, rate } from '../format.js';
import { useAction, usePoll } from '../hooks.js';

interface Vhost {
  name: string;
  description?: string;
  tags?: string[];
  messages?: number;
  messages_ready?: number;
  messages_unacknowledged?: number;
  message_stats?: { publish_details?: { rate: number }; deliver_get_details?: { rate: number } };
}

export function VhostsPage() {
  const vhosts = usePoll(() => api<Vhost[]>('/vhosts'), 'vhosts-page');
  const action = useAction();
  const remove = (name: string) => action.run(() => api(`/vhosts/${enc(name)}`, { method: 'DELETE' }), `Virtual host ${name} deleted.`, vhosts.reload);
  return (
    <div data-testid="page-vhosts">
      <h1>Virtual hosts</h1>
      <ErrorBox error={vhosts.error} />
      <ActionResult action={action} />
      <table data-testid="vhosts-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Description</th>
            <th>Ready</th>
            <th>Unacked</th>
            <th>Total</th>
            <th>Publish</th>
            <th>Deliver / get</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {vhosts.data?.map((v) => (
            <tr key={v.name} data-testid="vhost-row" data-name={v.name}>
              <td>{v.name}</td>
              <td>{v.description ?? ''}</td>
              <td class="num">{count(v.messages_ready)}</td>
              <td class="num">{count(v.messages_unacknowledged)}</td>
              <td class="num">{count(v.messages)}</td>
              <td class="num">{rate(v.message_stats?.publish_details?.rate)}</td>
              <td class="num">{rate(v.message_stats?.deliver_get_details?.rate)}</td>
              <td>
                <ConfirmButton label="Delete" testid="vhost-delete" disabled={action.busy} onConfirm={() => void remove(v.name)} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Section title="Add a new virtual host">
        <AddVhostForm after={vhosts.reload} />
      </Section>
    </div>
  );
}

function AddVhostForm({ after }: { after: () => void }) {
  const action = useAction();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const submit = (e: Event) => {
    e.preventDefault();
    void action.run(
      async () => {
        if (!name.trim()) throw new Error('Name is required');
        await api(`/vhosts/${enc(name)}`, { method: 'PUT', body: description ? { description } : {} });
        return `Virtual host ${name} added.`;
      },
      undefined,
      after,
    );
  };
  return (
    <form class="form" onSubmit={submit} data-testid="add-vhost-form">
      <Field label="Name">
        <input value={name} data-testid="add-vhost-name" onInput={(e) => setName(e.currentTarget.value)} />
      </Field>
      <Field label="Description">
        <input value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
      </Field>
      <div class="actions">
        <button type="submit" disabled={action.busy} data-testid="add-vhost-submit">
          Add virtual host
        </button>
      </div>
      <ActionResult action={action} />
    </form>
  );
}
