// Connections (with close) and channels.
import { api, enc } from '../api.js';
import { ActionResult, ConfirmButton, ErrorBox, ListControls } from '../components.js';
import { bytes, count, rate } from '../format.js';
import { useAction, usePagedList } from '../hooks.js';

interface Connection {
  name: string;
  user?: string;
  vhost?: string;
  state?: string;
  protocol?: string;
  channels?: number;
  peer_host?: string;
  peer_port?: number;
  client_properties?: { product?: string; connection_name?: string };
  recv_oct_details?: { rate: number };
  send_oct_details?: { rate: number };
}

export function ConnectionsPage() {
  const list = usePagedList<Connection>('/connections');
  const action = useAction();
  const close = (name: string) =>
    action.run(
      () => api(`/connections/${enc(name)}`, { method: 'DELETE', headers: { 'X-Reason': 'Closed via management UI' } }),
      `Connection ${name} closed`,
      list.reload,
    );
  return (
    <div data-testid="page-connections">
      <h1>Connections</h1>
      <ErrorBox error={list.error} />
      <ActionResult action={action} />
      <ListControls state={list.state} setState={list.setState} result={list.data} testid="connections" />
      <table data-testid="connections-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>User</th>
            <th>Virtual host</th>
            <th>Client</th>
            <th>State</th>
            <th>Channels</th>
            <th>From client</th>
            <th>To client</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {list.data?.items.map((c) => (
            <tr key={c.name} data-testid="connection-row" data-name={c.name}>
              <td>
                {c.name}
                {c.client_properties?.connection_name && <div class="muted">{c.client_properties.connection_name}</div>}
              </td>
              <td>{c.user}</td>
              <td>{c.vhost}</td>
              <td>{c.client_properties?.product ?? ''}</td>
              <td>{c.state}</td>
              <td class="num">{count(c.channels)}</td>
              <td class="num">{c.recv_oct_details ? `${bytes(c.recv_oct_details.rate)}/s` : '–'}</td>
              <td class="num">{c.send_oct_details ? `${bytes(c.send_oct_details.rate)}/s` : '–'}</td>
              <td>
                <ConfirmButton label="Close" testid="connection-close" disabled={action.busy} onConfirm={() => void close(c.name)} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {list.data && list.data.items.length === 0 && <p class="muted">No connections.</p>}
    </div>
  );
}

interface Channel {
  name: string;
  user?: string;
  vhost?: string;
  number?: number;
  consumer_count?: number;
  prefetch_count?: number;
  messages_unacknowledged?: number;
  confirm?: boolean;
  transactional?: boolean;
  state?: string;
  message_stats?: { publish_details?: { rate: number }; deliver_get_details?: { rate: number }; ack_details?: { rate: number } };
}

function mode(c: Channel): string {
  return [c.confirm ? 'confirm' : '', c.transactional ? 'transactional' : ''].filter(Boolean).join(', ');
}

export function ChannelsPage() {
  const list = usePagedList<Channel>('/channels');
  return (
    <div data-testid="page-channels">
      <h1>Channels</h1>
      <ErrorBox error={list.error} />
      <ListControls state={list.state} setState={list.setState} result={list.data} testid="channels" />
      <table data-testid="channels-table">
        <thead>
          <tr>
            <th>Channel</th>
            <th>User</th>
            <th>Virtual host</th>
            <th>Mode</th>
            <th>State</th>
            <th>Consumers</th>
            <th>Prefetch</th>
            <th>Unacked</th>
            <th>Publish</th>
            <th>Deliver / get</th>
            <th>Ack</th>
          </tr>
        </thead>
        <tbody>
          {list.data?.items.map((c) => (
            <tr key={c.name} data-testid="channel-row" data-name={c.name}>
              <td>{c.name}</td>
              <td>{c.user}</td>
              <td>{c.vhost}</td>
              <td>{mode(c)}</td>
              <td>{c.state}</td>
              <td class="num">{count(c.consumer_count)}</td>
              <td class="num">{count(c.prefetch_count)}</td>
              <td class="num">{count(c.messages_unacknowledged)}</td>
              <td class="num">{rate(c.message_stats?.publish_details?.rate)}</td>
              <td class="num">{rate(c.message_stats?.deliver_get_details?.rate)}</td>
              <td class="num">{rate(c.message_stats?.ack_details?.rate)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {list.data && list.data.items.length === 0 && <p class="muted">No channels.</p>}
    </div>
  );
}
