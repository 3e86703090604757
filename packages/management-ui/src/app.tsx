// The app shell: login gate, navigation and hash routes (#/queues, #/queues/<vhost>/<name>, …).
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, loadCredentials, saveCredentials, setUnauthorizedHandler, type Credentials } from './api.js';
import { tags } from './format.js';
import { useHashRoute } from './hooks.js';
import { ChannelsPage, ConnectionsPage } from './pages/connections.js';
import { DefinitionsPage } from './pages/definitions.js';
import { ExchangePage, ExchangesPage } from './pages/exchanges.js';
import { LoginPage, type WhoAmI } from './pages/login.js';
import { OverviewPage } from './pages/overview.js';
import { PermissionsPage } from './pages/permissions.js';
import { PoliciesPage } from './pages/policies.js';
import { QueuePage, QueuesPage } from './pages/queues.js';
import { UsersPage } from './pages/users.js';
import { VhostsPage } from './pages/vhosts.js';

const NAV: [string, string][] = [
  ['', 'Overview'],
  ['connections', 'Connections'],
  ['channels', 'Channels'],
  ['exchanges', 'Exchanges'],
  ['queues', 'Queues'],
  ['users', 'Users'],
  ['vhosts', 'Virtual hosts'],
  ['permissions', 'Permissions'],
  ['policies', 'Policies'],
  ['definitions', 'Definitions'],
];

function Page({ route }: { route: string[] }) {
  const [section = '', vhost, name] = route;
  switch (section) {
    case '':
    case 'overview':
      return <OverviewPage />;
    case 'connections':
      return <ConnectionsPage />;
    case 'channels':
      return <ChannelsPage />;
    case 'exchanges':
      return vhost !== undefined && name !== undefined ? <ExchangePage key={`${vhost}/${name}`} vhost={vhost} name={name} /> : <ExchangesPage />;
    case 'queues':
      return vhost !== undefined && name !== undefined ? <QueuePage key={`${vhost}/${name}`} vhost={vhost} name={name} /> : <QueuesPage />;
    case 'users':
      return <UsersPage />;
    case 'vhosts':
      return <VhostsPage />;
    case 'permissions':
      return <PermissionsPage />;
    case 'policies':
      return <PoliciesPage />;
    case 'definitions':
      return <DefinitionsPage />;
    default:
      return (
        <div data-testid="page-not-found">
          <h1>Not found</h1>
          <p>
            No page at <code>#{'/' + route.join('/')}</code>. <a href="#/">Go to the overview</a>.
          </p>
        </div>
      );
  }
}

const USER_KEY = 'warren.user';

export function App() {
  const [credentials, setCredentials] = useState<Credentials | null>(loadCredentials);
  const [me, setMe] = useState<WhoAmI | null>(() => {
    const raw = sessionStorage.getItem(USER_KEY);
    return raw ? (JSON.parse(raw) as WhoAmI) : null;
  });
  const [notice, setNotice] = useState('');
  const route = useHashRoute();

  const logout = (message = '') => {
    saveCredentials(null);
    sessionStorage.removeItem(USER_KEY);
    setCredentials(null);
    setMe(null);
    setNotice(message);
  };

  useEffect(() => {
    // The API answers 401 both to bad credentials and to a user whose tags do not allow the call
    // (e.g. a monitoring user listing users): only the first ends the session, the second is
    // shown where it happened.
    setUnauthorizedHandler(() => {
      const stored = loadCredentials();
      if (!stored) return logout();
      api('/whoami', { credentials: stored }).catch((err: unknown) => {
        if (err instanceof ApiError && err.status === 401) logout('The broker no longer accepts these credentials; log in again.');
      });
    });
  }, []);

  if (!credentials) {
    return (
      <LoginPage
        notice={notice}
        onLogin={(c, who) => {
          saveCredentials(c);
          sessionStorage.setItem(USER_KEY, JSON.stringify(who));
          setCredentials(c);
          setMe(who);
          setNotice('');
        }}
      />
    );
  }

  const current = route[0] === 'overview' ? '' : (route[0] ?? '');
  return (
    <div class="shell">
      <header>
        <a class="brand" href="#/">
          Warren
        </a>
        <nav>
          {NAV.map(([path, label]) => (
            <a key={path} href={`#/${path}`} class={current === path ? 'active' : ''} data-testid={`nav-${path || 'overview'}`}>
              {label}
            </a>
          ))}
        </nav>
        <span class="user" data-testid="current-user">
          {me?.name ?? credentials.username}
          {me && tags(me.tags) && <span class="muted"> ({tags(me.tags)})</span>}
        </span>
        <button type="button" class="link" data-testid="logout" onClick={() => logout()}>
          Log out
        </button>
      </header>
      <main>
        <Page route={route} />
      </main>
    </div>
  );
}
