// Permissions: every user's configure/write/read patterns per virtual host; set and clear.
import { useState } from 'preact/hooks';
import { api, enc } from '../api.js';
import { ActionResult, ConfirmButton, ErrorBox, Field, Section, VhostSelect } from '../components.js';
import { useAction, usePoll } from '../hooks.js';

interface Permission {
  user: string;
  vhost: string;
  configure: string;
  write: string;
  read: string;
}

export function PermissionsPage() {
  const permissions = usePoll(() => api<Permission[]>('/permissions'), 'permissions');
  const action = useAction();
  const clear = (p: Permission) =>
    action.run(() => api(`/permissions/${enc(p.vhost)}/${enc(p.user)}`, { method: 'DELETE' }), `Permissions of ${p.user} in ${p.vhost} cleared.`, permissions.reload);
  return (
    <div data-testid="page-permissions">
      <h1>Permissions</h1>
      <ErrorBox error={permissions.error} />
      <ActionResult action={action} />
      <table data-testid="permissions-table">
        <thead>
          <tr>
            <th>User</th>
            <th>Virtual host</th>
            <th>Configure</th>
            <th>Write</th>
            <th>Read</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {permissions.data?.map((p) => (
            <tr key={`${p.vhost}\u0000${p.user}`} data-testid="permission-row" data-name={`${p.user}@${p.vhost}`}>
              <td>{p.user}</td>
              <td>{p.vhost}</td>
              <td>
                <code>{p.configure}</code>
              </td>
              <td>
                <code>{p.write}</code>
              </td>
              <td>
                <code>{p.read}</code>
              </td>
              <td>
                <ConfirmButton label="Clear" testid="permission-clear" disabled={action.busy} onConfirm={() => void clear(p)} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Section title="Set permissions">
        <SetPermissionForm after={permissions.reload} />
      </Section>
    </div>
  );
}

function SetPermissionForm({ after }: { after: () => void }) {
  const action = useAction();
  const users = usePoll(() => api<{ name: string }[]>('/users'), 'permission-users', 30000);
  const [vhost, setVhost] = useState('/');
  const [user, setUser] = useState('');
  const [configure, setConfigure] = useState('.*');
  const [write, setWrite] = useState('.*');
  const [read, setRead] = useState('.*');
  const chosen = user || users.data?.[0]?.name || '';
  const submit = (e: Event) => {
    e.preventDefault();
    void action.run(
      async () => {
        if (!chosen) throw new Error('User is required');
        await api(`/permissions/${enc(vhost)}/${enc(chosen)}`, { method: 'PUT', body: { configure, write, read } });
        return `Permissions of ${chosen} in ${vhost} set.`;
      },
      undefined,
      after,
    );
  };
  return (
    <form class="form" onSubmit={submit} data-testid="set-permission-form">
      <Field label="User">
        <select value={chosen} data-testid="set-permission-user" onChange={(e) => setUser(e.currentTarget.value)}>
          {users.data?.map((u) => (
            <option key={u.name} value={u.name}>
              {u.name}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Virtual host">
        <VhostSelect value={vhost} onChange={setVhost} testid="set-permission-vhost" />
      </Field>
      <Field label="Configure regexp">
        <input value={configure} onInput={(e) => setConfigure(e.currentTarget.value)} />
      </Field>
      <Field label="Write regexp">
        <input value={write} onInput={(e) => setWrite(e.currentTarget.value)} />
      </Field>
      <Field label="Read regexp">
        <input value={read} onInput={(e) => setRead(e.currentTarget.value)} />
      </Field>
      <div class="actions">
        <button type="submit" disabled={action.busy} data-testid="set-permission-submit">
          Set permission
        </button>
      </div>
      <ActionResult action={action} />
    </form>
  );
}
