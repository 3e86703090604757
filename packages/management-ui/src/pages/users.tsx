// Users: list, add with tags, delete.
import { useState } from 'preact/hooks';
import { api, enc } from '../api.js';
import { ActionResult, ConfirmButton, ErrorBox, Field, Section } from '../components.js';
import { tags } from '../format.js';
import { useAction, usePoll } from '../hooks.js';

interface User {
  name: string;
  tags: string[] | string;
  hashing_algorithm?: string;
}

const KNOWN_TAGS = ['administrator', 'monitoring', 'policymaker', 'management', 'impersonator'];

export function UsersPage() {
  const users = usePoll(() => api<User[]>('/users'), 'users');
  const action = useAction();
  const remove = (name: string) => action.run(() => api(`/users/${enc(name)}`, { method: 'DELETE' }), `User ${name} deleted.`, users.reload);
  return (
    <div data-testid="page-users">
      <h1>Users</h1>
      <ErrorBox error={users.error} />
      <ActionResult action={action} />
      <table data-testid="users-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Tags</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {users.data?.map((u) => (
            <tr key={u.name} data-testid="user-row" data-name={u.name}>
              <td>{u.name}</td>
              <td data-testid="user-tags">{tags(u.tags)}</td>
              <td>
                <ConfirmButton label="Delete" testid="user-delete" disabled={action.busy} onConfirm={() => void remove(u.name)} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Section title="Add a user">
        <AddUserForm after={users.reload} />
      </Section>
    </div>
  );
}

function AddUserForm({ after }: { after: () => void }) {
  const action = useAction();
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [tagText, setTagText] = useState('');
  const addTag = (tag: string) => {
    const current = tagText.split(',').map((t) => t.trim()).filter(Boolean);
    if (!current.includes(tag)) setTagText([...current, tag].join(', '));
  };
  const submit = (e: Event) => {
    e.preventDefault();
    void action.run(
      async () => {
        if (!name.trim()) throw new Error('Username is required');
        // the API takes tags as one comma-separated string
        const tagList = tagText.split(',').map((t) => t.trim()).filter(Boolean).join(',');
        await api(`/users/${enc(name)}`, { method: 'PUT', body: { password, tags: tagList } });
        setPassword('');
        return `User ${name} added.`;
      },
      undefined,
      after,
    );
  };
  return (
    <form class="form" onSubmit={submit} data-testid="add-user-form">
      <Field label="Username">
        <input value={name} autocomplete="off" data-testid="add-user-name" onInput={(e) => setName(e.currentTarget.value)} />
      </Field>
      <Field label="Password">
        <input type="password" value={password} autocomplete="new-password" data-testid="add-user-password" onInput={(e) => setPassword(e.currentTarget.value)} />
      </Field>
      <Field label="Tags (comma-separated)">
        <input value={tagText} data-testid="add-user-tags" onInput={(e) => setTagText(e.currentTarget.value)} />
      </Field>
      <div class="tag-buttons">
        Set:{' '}
        {KNOWN_TAGS.map((t) => (
          <button type="button" key={t} class="link" onClick={() => addTag(t)}>
            {t}
          </button>
        ))}
      </div>
      <div class="actions">
        <button type="submit" disabled={action.busy} data-testid="add-user-submit">
          Add user
        </button>
      </div>
      <ActionResult action={action} />
    </form>
  );
}
