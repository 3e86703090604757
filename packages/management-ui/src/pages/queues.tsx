// Queues: the list with an add form, and one queue's page with its bindings, get, publish, purge and delete.
import { useState } from 'preact/hooks';
import { api, enc } from '../api.js';
import { ActionResult, ConfirmButton, ErrorBox, Field, ListControls, Section, VhostSelect } from '../components.js';
import { parseJsonObject } from '../parse.js';
import { count, keyValues, rate, yesNo } from '../format.js';
import { href, useAction, usePagedList, usePoll } from '../hooks.js';
import { GetMessagesForm, PublishForm } from '../messages.js';

interface Rate {
  rate: number;
}

interface Queue {
  name: string;
  vhost: string;
  type?: string;
  durable?: boolean;
  auto_delete?: boolean;
  exclusive?: boolean;
  arguments?: Record<string, unknown>;
  policy?: string | null;
  state?: string;
  consumers?: number;
  messages?: number;
  messages_ready?: number;
  messages_unacknowledged?: number;
  message_stats?: { publish_details?: Rate; deliver_get_details?: Rate; ack_details?: Rate };
}

function features(q: Queue): string {
  return [q.durable ? 'D' : '', q.auto_delete ? 'AD' : '', q.exclusive ? 'Excl' : '', q.arguments && Object.keys(q.arguments).length ? 'Args' : '']
    .filter(Boolean)
    .join(' ');
}

export function QueuesPage() {
  const list = usePagedList<Queue>('/queues');
  return (
    <div data-testid="page-queues">
      <h1>Queues</h1>
      <ErrorBox error={list.error} />
      <ListControls state={list.state} setState={list.setState} result={list.data} testid="queues" />
      <table data-testid="queues-table">
        <thead>
          <tr>
            <th>Virtual host</th>
            <th>Name</th>
            <th>Type</th>
            <th>Features</th>
            <th>State</th>
            <th>Ready</th>
            <th>Unacked</th>
            <th>Total</th>
            <th>Incoming</th>
            <th>Deliver / get</th>
            <th>Ack</th>
          </tr>
        </thead>
        <tbody>
          {list.data?.items.map((q) => (
            <tr key={`${q.vhost}\u0000${q.name}`} data-testid="queue-row" data-name={q.name}>
              <td>{q.vhost}</td>
              <td>
                <a href={href('queues', q.vhost, q.name)} data-testid="queue-link">
                  {q.name}
                </a>
              </td>
              <td>{q.type ?? 'classic'}</td>
              <td title={keyValues(q.arguments)}>{features(q)}</td>
              <td>{q.state}</td>
              <td class="num" data-testid="queue-ready">
                {count(q.messages_ready)}
              </td>
              <td class="num">{count(q.messages_unacknowledged)}</td>
              <td class="num">{count(q.messages)}</td>
              <td class="num">{rate(q.message_stats?.publish_details?.rate)}</td>
              <td class="num">{rate(q.message_stats?.deliver_get_details?.rate)}</td>
              <td class="num">{rate(q.message_stats?.ack_details?.rate)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {list.data && list.data.items.length === 0 && <p class="muted">No queues.</p>}
      <Section title="Add a new queue">
        <AddQueueForm after={list.reload} />
      </Section>
    </div>
  );
}

function AddQueueForm({ after }: { after: () => void }) {
  const action = useAction();
  const [vhost, setVhost] = useState('/');
  const [name, setName] = useState('');
  const [type, setType] = useState('classic');
  const [durable, setDurable] = useState(true);
  const [autoDelete, setAutoDelete] = useState(false);
  const [args, setArgs] = useState('');
  const submit = (e: Event) => {
    e.preventDefault();
    void action.run(
      async () => {
        if (!name.trim()) throw new Error('Name is required');
        const argumentsObject = parseJsonObject(args, 'Arguments');
        if (type !== 'classic') argumentsObject['x-queue-type'] = type;
        await api(`/queues/${enc(vhost)}/${enc(name)}`, { method: 'PUT', body: { durable, auto_delete: autoDelete, arguments: argumentsObject } });
        return `Queue ${name} added.`;
      },
      undefined,
      after,
    );
  };
  return (
    <form class="form" onSubmit={submit} data-testid="add-queue-form">
      <Field label="Virtual host">
        <VhostSelect value={vhost} onChange={setVhost} testid="add-queue-vhost" />
      </Field>
      <Field label="Name">
        <input value={name} data-testid="add-queue-name" onInput={(e) => setName(e.currentTarget.value)} />
      </Field>
      <Field label="Type">
        <select value={type} onChange={(e) => setType(e.currentTarget.value)}>
          <option value="classic">Classic</option>
          <option value="quorum">Quorum</option>
          <option value="stream">Stream</option>
        </select>
      </Field>
      <Field label="Durability">
        <select value={durable ? 'durable' : 'transient'} data-testid="add-queue-durable" onChange={(e) => setDurable(e.currentTarget.value === 'durable')}>
          <option value="durable">Durable</option>
          <option value="transient">Transient</option>
        </select>
      </Field>
      <Field label="Auto delete">
        <input type="checkbox" checked={autoDelete} onChange={(e) => setAutoDelete(e.currentTarget.checked)} />
      </Field>
      <Field label="Arguments (JSON object)">
        <input value={args} placeholder='{"x-max-length": 1000}' data-testid="add-queue-arguments" onInput={(e) => setArgs(e.currentTarget.value)} />
      </Field>
      <div class="actions">
        <button type="submit" disabled={action.busy} data-testid="add-queue-submit">
          Add queue
        </button>
      </div>
      <ActionResult action={action} />
    </form>
  );
}

interface Binding {
  source: string;
  destination: string;
  destination_type: string;
  routing_key: string;
  arguments?: Record<string, unknown>;
  properties_key: string;
}

export function QueuePage({ vhost, name }: { vhost: string; name: string }) {
  const path = `/queues/${enc(vhost)}/${enc(name)}`;
  const queue = usePoll(() => api<Queue>(path), path);
  const bindings = usePoll(() => api<Binding[]>(`${path}/bindings`), `${path}/bindings`);
  const action = useAction();
  const [deleted, setDeleted] = useState(false);
  const q = queue.data;
  const refresh = () => {
    queue.reload();
    bindings.reload();
  };

  if (deleted) {
    return (
      <div data-testid="page-queue">
        <h1>Queue {name}</h1>
        <ActionResult action={action} />
        <p>
          <a href="#/queues">Back to queues</a>
        </p>
      </div>
    );
  }

  return (
    <div data-testid="page-queue">
      <p class="crumbs">
        <a href="#/queues">Queues</a> › {vhost}
      </p>
      <h1>
        Queue <span data-testid="queue-name">{name}</span>
      </h1>
      <ErrorBox error={queue.error} />
      <ActionResult action={action} />
      {q && (
        <Section title="Details" testid="queue-details">
          <dl class="totals">
            <dt>Type</dt>
            <dd>{q.type ?? 'classic'}</dd>
            <dt>Features</dt>
            <dd>
              durable {yesNo(q.durable)} · auto-delete {yesNo(q.auto_delete)} · exclusive {yesNo(q.exclusive)}
            </dd>
            <dt>Arguments</dt>
            <dd>{keyValues(q.arguments) || '–'}</dd>
            <dt>Policy</dt>
            <dd>{q.policy || '–'}</dd>
            <dt>State</dt>
            <dd>{q.state ?? '–'}</dd>
            <dt>Consumers</dt>
            <dd>{count(q.consumers)}</dd>
            <dt>Ready</dt>
            <dd data-testid="queue-detail-ready">{count(q.messages_ready)}</dd>
            <dt>Unacked</dt>
            <dd>{count(q.messages_unacknowledged)}</dd>
            <dt>Total</dt>
            <dd data-testid="queue-detail-total">{count(q.messages)}</dd>
            <dt>Incoming rate</dt>
            <dd>{rate(q.message_stats?.publish_details?.rate)}</dd>
          </dl>
        </Section>
      )}
      <Section title="Bindings" testid="queue-bindings">
        <ErrorBox error={bindings.error} />
        <BindingsTable bindings={bindings.data} vhost={vhost} after={bindings.reload} />
        <AddBindingForm vhost={vhost} queue={name} after={bindings.reload} />
      </Section>
      <Section title="Publish message" testid="queue-publish">
        <PublishForm vhost={vhost} exchange="amq.default" routingKey={name} after={refresh} />
      </Section>
      <Section title="Get messages" testid="queue-get">
        <GetMessagesForm vhost={vhost} queue={name} after={refresh} />
      </Section>
      <Section title="Purge and delete" testid="queue-danger">
        <div class="actions">
          <ConfirmButton label="Purge messages" testid="queue-purge" onConfirm={() => void action.run(() => api(`${path}/contents`, { method: 'DELETE' }), `Queue ${name} purged.`, refresh)} />
          <ConfirmButton
            label="Delete queue"
            testid="queue-delete"
            onConfirm={() => void action.run(() => api(path, { method: 'DELETE' }), `Queue ${name} deleted.`, () => setDeleted(true))}
          />
        </div>
      </Section>
    </div>
  );
}

function BindingsTable({ bindings, vhost, after }: { bindings: Binding[] | undefined; vhost: string; after: () => void }) {
  const action = useAction();
  if (!bindings) return null;
  const unbind = (b: Binding) =>
    action.run(
      () => api(`/bindings/${enc(vhost)}/e/${enc(b.source)}/q/${enc(b.destination)}/${enc(b.properties_key)}`, { method: 'DELETE' }),
      'Binding removed.',
      after,
    );
  return (
    <div>
      <ActionResult action={action} />
      <table data-testid="bindings-table">
        <thead>
          <tr>
            <th>From exchange</th>
            <th>Routing key</th>
            <th>Arguments</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {bindings.map((b) => (
            <tr key={`${b.source}\u0000${b.properties_key}`} data-testid="binding-row">
              <td>{b.source || '(AMQP default)'}</td>
              <td>{b.routing_key}</td>
              <td>{keyValues(b.arguments)}</td>
              <td>{b.source !== '' && <ConfirmButton label="Unbind" testid="binding-delete" onConfirm={() => void unbind(b)} />}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function AddBindingForm({ vhost, queue, after }: { vhost: string; queue: string; after: () => void }) {
  const action = useAction();
  const [exchange, setExchange] = useState('');
  const [routingKey, setRoutingKey] = useState('');
  const [args, setArgs] = useState('');
  const submit = (e: Event) => {
    e.preventDefault();
    void action.run(
      async () => {
        if (!exchange.trim()) throw new Error('Exchange is required');
        await api(`/bindings/${enc(vhost)}/e/${enc(exchange)}/q/${enc(queue)}`, {
          method: 'POST',
          body: { routing_key: routingKey, arguments: parseJsonObject(args, 'Arguments') },
        });
        return 'Binding added.';
      },
      undefined,
      after,
    );
  };
  return (
    <form class="form inline" onSubmit={submit} data-testid="add-binding-form">
      <Field label="From exchange">
        <input value={exchange} data-testid="add-binding-exchange" onInput={(e) => setExchange(e.currentTarget.value)} />
      </Field>
      <Field label="Routing key">
        <input value={routingKey} data-testid="add-binding-key" onInput={(e) => setRoutingKey(e.currentTarget.value)} />
      </Field>
      <Field label="Arguments (JSON object)">
        <input value={args} onInput={(e) => setArgs(e.currentTarget.value)} />
      </Field>
      <div class="actions">
        <button type="submit" disabled={action.busy} data-testid="add-binding-submit">
          Bind
        </button>
      </div>
      <ActionResult action={action} />
    </form>
  );
}
