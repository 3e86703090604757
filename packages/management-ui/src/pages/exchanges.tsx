// Exchanges: the list with an add form, and one exchange's page with publish and delete.
import { useState } from 'preact/hooks';
import { api, enc } from '../api.js';
import { ActionResult, ConfirmButton, ErrorBox, Field, ListControls, Section, VhostSelect } from '../components.js';
import { parseJsonObject } from '../parse.js';
import { keyValues, rate, yesNo } from '../format.js';
import { href, useAction, usePagedList, usePoll } from '../hooks.js';
import { PublishForm } from '../messages.js';

interface Exchange {
  name: string;
  vhost: string;
  type: string;
  durable?: boolean;
  auto_delete?: boolean;
  internal?: boolean;
  arguments?: Record<string, unknown>;
  policy?: string | null;
  message_stats?: { publish_in_details?: { rate: number }; publish_out_details?: { rate: number } };
}

/** The default exchange is named "" but addressed as "amq.default" in API paths. */
const pathName = (name: string) => name || 'amq.default';
const displayName = (name: string) => name || '(AMQP default)';

function features(x: Exchange): string {
  return [x.durable ? 'D' : '', x.auto_delete ? 'AD' : '', x.internal ? 'I' : '', x.arguments && Object.keys(x.arguments).length ? 'Args' : '']
    .filter(Boolean)
    .join(' ');
}

export function ExchangesPage() {
  const list = usePagedList<Exchange>('/exchanges');
  return (
    <div data-testid="page-exchanges">
      <h1>Exchanges</h1>
      <ErrorBox error={list.error} />
      <ListControls state={list.state} setState={list.setState} result={list.data} testid="exchanges" />
      <table data-testid="exchanges-table">
        <thead>
          <tr>
            <th>Virtual host</th>
            <th>Name</th>
            <th>Type</th>
            <th>Features</th>
            <th>Rate in</th>
            <th>Rate out</th>
          </tr>
        </thead>
        <tbody>
          {list.data?.items.map((x) => (
            <tr key={`${x.vhost}\u0000${x.name}`} data-testid="exchange-row" data-name={x.name}>
              <td>{x.vhost}</td>
              <td>
                <a href={href('exchanges', x.vhost, pathName(x.name))} data-testid="exchange-link">
                  {displayName(x.name)}
                </a>
              </td>
              <td>{x.type}</td>
              <td title={keyValues(x.arguments)}>{features(x)}</td>
              <td class="num">{rate(x.message_stats?.publish_in_details?.rate)}</td>
              <td class="num">{rate(x.message_stats?.publish_out_details?.rate)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Section title="Add a new exchange">
        <AddExchangeForm after={list.reload} />
      </Section>
    </div>
  );
}

function AddExchangeForm({ after }: { after: () => void }) {
  const action = useAction();
  const [vhost, setVhost] = useState('/');
  const [name, setName] = useState('');
  const [type, setType] = useState('direct');
  const [durable, setDurable] = useState(true);
  const [autoDelete, setAutoDelete] = useState(false);
  const [internal, setInternal] = useState(false);
  const [args, setArgs] = useState('');
  const submit = (e: Event) => {
    e.preventDefault();
    void action.run(
      async () => {
        if (!name.trim()) throw new Error('Name is required');
        await api(`/exchanges/${enc(vhost)}/${enc(name)}`, {
          method: 'PUT',
          body: { type, durable, auto_delete: autoDelete, internal, arguments: parseJsonObject(args, 'Arguments') },
        });
        return `Exchange ${name} added.`;
      },
      undefined,
      after,
    );
  };
  return (
    <form class="form" onSubmit={submit} data-testid="add-exchange-form">
      <Field label="Virtual host">
        <VhostSelect value={vhost} onChange={setVhost} />
      </Field>
      <Field label="Name">
        <input value={name} data-testid="add-exchange-name" onInput={(e) => setName(e.currentTarget.value)} />
      </Field>
      <Field label="Type">
        <select value={type} data-testid="add-exchange-type" onChange={(e) => setType(e.currentTarget.value)}>
          {['direct', 'fanout', 'headers', 'topic'].map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Durability">
        <select value={durable ? 'durable' : 'transient'} onChange={(e) => setDurable(e.currentTarget.value === 'durable')}>
          <option value="durable">Durable</option>
          <option value="transient">Transient</option>
        </select>
      </Field>
      <Field label="Auto delete">
        <input type="checkbox" checked={autoDelete} onChange={(e) => setAutoDelete(e.currentTarget.checked)} />
      </Field>
      <Field label="Internal">
        <input type="checkbox" checked={internal} onChange={(e) => setInternal(e.currentTarget.checked)} />
      </Field>
      <Field label="Arguments (JSON object)">
        <input value={args} placeholder='{"alternate-exchange": "ae"}' onInput={(e) => setArgs(e.currentTarget.value)} />
      </Field>
      <div class="actions">
        <button type="submit" disabled={action.busy} data-testid="add-exchange-submit">
          Add exchange
        </button>
      </div>
      <ActionResult action={action} />
    </form>
  );
}

export function ExchangePage({ vhost, name }: { vhost: string; name: string }) {
  const path = `/exchanges/${enc(vhost)}/${enc(name)}`;
  const exchange = usePoll(() => api<Exchange>(path), path);
  const action = useAction();
  const [deleted, setDeleted] = useState(false);
  const x = exchange.data;
  const builtIn = name === 'amq.default' || name.startsWith('amq.');
  return (
    <div data-testid="page-exchange">
      <p class="crumbs">
        <a href="#/exchanges">Exchanges</a> › {vhost}
      </p>
      <h1>
        Exchange <span data-testid="exchange-name">{name === 'amq.default' ? displayName('') : name}</span>
      </h1>
      {!deleted && <ErrorBox error={exchange.error} />}
      <ActionResult action={action} />
      {x && !deleted && (
        <>
          <Section title="Details">
            <dl class="totals">
              <dt>Type</dt>
              <dd>{x.type}</dd>
              <dt>Features</dt>
              <dd>
                durable {yesNo(x.durable)} · auto-delete {yesNo(x.auto_delete)} · internal {yesNo(x.internal)}
              </dd>
              <dt>Arguments</dt>
              <dd>{keyValues(x.arguments) || '–'}</dd>
              <dt>Policy</dt>
              <dd>{x.policy || '–'}</dd>
              <dt>Rate in / out</dt>
              <dd>
                {rate(x.message_stats?.publish_in_details?.rate)} / {rate(x.message_stats?.publish_out_details?.rate)}
              </dd>
            </dl>
          </Section>
          <Section title="Publish message" testid="exchange-publish">
            <PublishForm vhost={vhost} exchange={name} after={exchange.reload} />
          </Section>
          {!builtIn && (
            <Section title="Delete this exchange">
              <ConfirmButton
                label="Delete exchange"
                testid="exchange-delete"
                onConfirm={() => void action.run(() => api(path, { method: 'DELETE' }), `Exchange ${name} deleted.`, () => setDeleted(true))}
              />
            </Section>
          )}
        </>
      )}
      {deleted && (
        <p>
          <a href="#/exchanges">Back to exchanges</a>
        </p>
      )}
    </div>
  );
}
