// Login: checks the credentials against /api/whoami before keeping them for the session.
import { useState } from 'preact/hooks';
import { ApiError, api, type Credentials } from '../api.js';
import { ErrorBox, Field } from '../components.js';

export interface WhoAmI {
  name: string;
  tags: string[] | string;
}

export function LoginPage({ onLogin, notice }: { onLogin: (c: Credentials, me: WhoAmI) => void; notice?: string }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    const credentials = { username, password };
    try {
      const me = await api<WhoAmI>('/whoami', { credentials });
      onLogin(credentials, me);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="login" data-testid="page-login">
      <h1>Warren</h1>
      <p class="muted">Management</p>
      {notice && <p class="notice">{notice}</p>}
      <form class="form" onSubmit={(e) => void submit(e)}>
        <Field label="Username">
          <input name="username" autocomplete="username" value={username} data-testid="login-username" onInput={(e) => setUsername(e.currentTarget.value)} />
        </Field>
        <Field label="Password">
          <input
            name="password"
            type="password"
            autocomplete="current-password"
            value={password}
            data-testid="login-password"
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </Field>
        <div class="actions">
          <button type="submit" disabled={busy} data-testid="login-submit">
            Log in
          </button>
        </div>
        <ErrorBox error={error} />
        {error instanceof ApiError && error.status === 401 && (
          <p class="muted" data-testid="login-hint">
            Check the username and password; the user also needs a management tag (management, policymaker, monitoring or administrator).
          </p>
        )}
      </form>
    </div>
  );
}
