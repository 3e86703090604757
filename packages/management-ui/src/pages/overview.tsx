// Overview: totals and live message-rate and queued-message charts from /api/overview, polled every 5 s.
import { api } from '../api.js';
import { LineChart } from '../chart.js';
import { ErrorBox, Section } from '../components.js';
import { count, rate } from '../format.js';
import { usePoll } from '../hooks.js';

interface Details {
  rate: number;
}

interface Overview {
  product_name?: string;
  product_version?: string;
  rabbitmq_version?: string;
  management_version?: string;
  node?: string;
  cluster_name?: string;
  message_stats?: Partial<Record<'publish' | 'deliver_get' | 'ack' | 'confirm' | 'redeliver' | 'return_unroutable', number>> &
    Partial<Record<'publish_details' | 'deliver_get_details' | 'ack_details' | 'confirm_details' | 'redeliver_details' | 'return_unroutable_details', Details>>;
  queue_totals?: { messages?: number; messages_ready?: number; messages_unacknowledged?: number };
  object_totals?: { connections?: number; channels?: number; exchanges?: number; queues?: number; consumers?: number };
}

interface Sample {
  publish: number;
  deliverGet: number;
  ack: number;
  ready: number;
  unacked: number;
}

/** Kept outside the component so the charts survive a visit to another page. */
const HISTORY_CAPACITY = 60;
const history: Sample[] = [];

function record(o: Overview): void {
  const m = o.message_stats ?? {};
  const q = o.queue_totals ?? {};
  history.push({
    publish: m.publish_details?.rate ?? 0,
    deliverGet: m.deliver_get_details?.rate ?? 0,
    ack: m.ack_details?.rate ?? 0,
    ready: q.messages_ready ?? 0,
    unacked: q.messages_unacknowledged ?? 0,
  });
  if (history.length > HISTORY_CAPACITY) history.splice(0, history.length - HISTORY_CAPACITY);
}

export function OverviewPage() {
  const overview = usePoll(async () => {
    const o = await api<Overview>('/overview');
    record(o);
    return o;
  }, 'overview');
  const o = overview.data;
  const totals = o?.object_totals ?? {};
  const queued = o?.queue_totals ?? {};
  const stats = o?.message_stats ?? {};
  const column = (key: keyof Sample) => history.map((s) => s[key]);
  return (
    <div data-testid="page-overview">
      <h1>Overview</h1>
      <ErrorBox error={overview.error} />
      {o && (
        <p class="muted" data-testid="product">
          {o.product_name ?? 'RabbitMQ'} {o.product_version ?? o.rabbitmq_version} · node {o.node ?? '–'} · cluster {o.cluster_name ?? '–'}
        </p>
      )}
      <div class="charts">
        <LineChart
          title="Message rates"
          testid="chart-rates"
          capacity={HISTORY_CAPACITY}
          format={rate}
          series={[
            { label: 'Publish', color: '#d97706', values: column('publish'), testid: 'rate-publish' },
            { label: 'Deliver / get', color: '#2563eb', values: column('deliverGet'), testid: 'rate-deliver-get' },
            { label: 'Ack', color: '#16a34a', values: column('ack'), testid: 'rate-ack' },
          ]}
        />
        <LineChart
          title="Queued messages"
          testid="chart-queued"
          capacity={HISTORY_CAPACITY}
          format={count}
          series={[
            { label: 'Ready', color: '#ca8a04', values: column('ready'), testid: 'queued-ready' },
            { label: 'Unacked', color: '#7c3aed', values: column('unacked'), testid: 'queued-unacked' },
          ]}
        />
      </div>
      <Section title="Totals" testid="totals">
        <dl class="totals">
          <dt>Connections</dt>
          <dd data-testid="total-connections">{count(totals.connections)}</dd>
          <dt>Channels</dt>
          <dd data-testid="total-channels">{count(totals.channels)}</dd>
          <dt>Exchanges</dt>
          <dd data-testid="total-exchanges">{count(totals.exchanges)}</dd>
          <dt>Queues</dt>
          <dd data-testid="total-queues">{count(totals.queues)}</dd>
          <dt>Consumers</dt>
          <dd data-testid="total-consumers">{count(totals.consumers)}</dd>
          <dt>Messages</dt>
          <dd data-testid="total-messages">{count(queued.messages)}</dd>
          <dt>Published (total)</dt>
          <dd data-testid="total-published">{count(stats.publish)}</dd>
          <dt>Delivered / got (total)</dt>
          <dd>{count(stats.deliver_get)}</dd>
        </dl>
      </Section>
    </div>
  );
}
