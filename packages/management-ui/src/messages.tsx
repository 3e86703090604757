// Forms shared by the exchange and queue pages: publish a message, and get messages from a queue.
import { useState } from 'preact/hooks';
import { api, enc } from './api.js';
import { ActionResult, Field } from './components.js';
import { parseJsonObject } from './parse.js';
import { keyValues } from './format.js';
import { useAction } from './hooks.js';

/**
 * Publishes through POST /api/exchanges/{vhost}/{exchange}/publish. For a queue page the exchange is
 * the default one ("amq.default" in the API's paths) and the routing key is the queue's name.
 */
export function PublishForm({ vhost, exchange, routingKey, after }: { vhost: string; exchange: string; routingKey?: string; after?: () => void }) {
  const action = useAction();
  const [key, setKey] = useState('');
  const [deliveryMode, setDeliveryMode] = useState('1');
  const [headers, setHeaders] = useState('');
  const [properties, setProperties] = useState('');
  const [payload, setPayload] = useState('');
  const [encoding, setEncoding] = useState<'string' | 'base64'>('string');

  const submit = (e: Event) => {
    e.preventDefault();
    void action.run(
      async () => {
        const props: Record<string, unknown> = { ...parseJsonObject(properties, 'Properties'), delivery_mode: Number(deliveryMode) };
        const parsedHeaders = parseJsonObject(headers, 'Headers');
        if (Object.keys(parsedHeaders).length) props.headers = parsedHeaders;
        const answer = await api<{ routed: boolean }>(`/exchanges/${enc(vhost)}/${enc(exchange || 'amq.default')}/publish`, {
          method: 'POST',
          body: { properties: props, routing_key: routingKey ?? key, payload, payload_encoding: encoding },
        });
        return answer.routed ? 'Message published.' : 'Message published, but it was not routed to any queue.';
      },
      undefined,
      after,
    );
  };

  return (
    <form class="form" onSubmit={submit} data-testid="publish-form">
      {routingKey === undefined && (
        <Field label="Routing key">
          <input value={key} data-testid="publish-routing-key" onInput={(e) => setKey(e.currentTarget.value)} />
        </Field>
      )}
      <Field label="Delivery mode">
        <select value={deliveryMode} data-testid="publish-delivery-mode" onChange={(e) => setDeliveryMode(e.currentTarget.value)}>
          <option value="1">1 – non-persistent</option>
          <option value="2">2 – persistent</option>
        </select>
      </Field>
      <Field label="Headers (JSON object)">
        <input value={headers} placeholder='{"x-key": "value"}' data-testid="publish-headers" onInput={(e) => setHeaders(e.currentTarget.value)} />
      </Field>
      <Field label="Properties (JSON object)">
        <input value={properties} placeholder='{"content_type": "text/plain"}' data-testid="publish-properties" onInput={(e) => setProperties(e.currentTarget.value)} />
      </Field>
      <Field label="Payload">
        <textarea rows={4} value={payload} data-testid="publish-payload" onInput={(e) => setPayload(e.currentTarget.value)} />
      </Field>
      <Field label="Payload encoding">
        <select value={encoding} onChange={(e) => setEncoding(e.currentTarget.value === 'base64' ? 'base64' : 'string')}>
          <option value="string">String</option>
          <option value="base64">Base64</option>
        </select>
      </Field>
      <div class="actions">
        <button type="submit" disabled={action.busy} data-testid="publish-submit">
          Publish message
        </button>
      </div>
      <ActionResult action={action} />
    </form>
  );
}

interface GotMessage {
  payload: string;
  payload_bytes: number;
  payload_encoding: string;
  redelivered: boolean;
  exchange: string;
  routing_key: string;
  message_count: number;
  properties: Record<string, unknown> | unknown[];
}

const ACK_MODES = [
  ['ack_requeue_true', 'Nack message, requeue true'],
  ['reject_requeue_true', 'Reject, requeue true'],
  ['ack_requeue_false', 'Automatic ack'],
  ['reject_requeue_false', 'Reject, requeue false'],
] as const;

/** Gets messages through POST /api/queues/{vhost}/{queue}/get and shows each with its properties. */
export function GetMessagesForm({ vhost, queue, after }: { vhost: string; queue: string; after?: () => void }) {
  const action = useAction();
  const [ackmode, setAckmode] = useState<string>('ack_requeue_true');
  const [encoding, setEncoding] = useState('auto');
  const [countText, setCountText] = useState('1');
  const [truncate, setTruncate] = useState('50000');
  const [messages, setMessages] = useState<GotMessage[] | undefined>(undefined);

  const submit = (e: Event) => {
    e.preventDefault();
    void action.run(
      async () => {
        const n = Number(countText);
        if (!Number.isInteger(n) || n < 1) throw new Error('Messages must be a whole number of at least 1');
        const body: Record<string, unknown> = { count: n, ackmode, encoding };
        if (truncate.trim()) body.truncate = Number(truncate);
        setMessages(undefined);
        const got = await api<GotMessage[]>(`/queues/${enc(vhost)}/${enc(queue)}/get`, { method: 'POST', body });
        setMessages(got);
        return got.length ? '' : 'Queue is empty.';
      },
      undefined,
      after,
    );
  };

  return (
    <div>
      <form class="form" onSubmit={submit} data-testid="get-form">
        <Field label="Ack mode">
          <select value={ackmode} data-testid="get-ackmode" onChange={(e) => setAckmode(e.currentTarget.value)}>
            {ACK_MODES.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Encoding">
          <select value={encoding} onChange={(e) => setEncoding(e.currentTarget.value)}>
            <option value="auto">Auto string / base64</option>
            <option value="base64">Base64</option>
          </select>
        </Field>
        <Field label="Messages">
          <input type="number" min="1" value={countText} data-testid="get-count" onInput={(e) => setCountText(e.currentTarget.value)} />
        </Field>
        <Field label="Truncate at (bytes)">
          <input type="number" min="0" value={truncate} onInput={(e) => setTruncate(e.currentTarget.value)} />
        </Field>
        <div class="actions">
          <button type="submit" disabled={action.busy} data-testid="get-submit">
            Get message(s)
          </button>
        </div>
        <ActionResult action={action} />
      </form>
      {messages?.map((m, i) => (
        <div class="message" key={i} data-testid="message">
          <h3>
            Message {i + 1} <span class="muted">· {m.message_count} left in queue</span>
          </h3>
          <dl>
            <dt>Exchange</dt>
            <dd>{m.exchange || '(AMQP default)'}</dd>
            <dt>Routing key</dt>
            <dd>{m.routing_key}</dd>
            <dt>Redelivered</dt>
            <dd>{m.redelivered ? 'yes' : 'no'}</dd>
            <dt>Properties</dt>
            <dd>{Array.isArray(m.properties) ? '' : keyValues(m.properties)}</dd>
            <dt>Payload</dt>
            <dd>
              {m.payload_bytes} bytes · encoding {m.payload_encoding}
              <pre data-testid="message-payload">{m.payload}</pre>
            </dd>
          </dl>
        </div>
      ))}
    </div>
  );
}
