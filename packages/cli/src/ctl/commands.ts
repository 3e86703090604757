// The `warren ctl` commands, modelled on rabbitmqctl's, each a few HTTP API calls.
import { readFile, writeFile } from 'node:fs/promises';
import { ApiClient, CtlError, enc, EXIT } from './client.js';
import { field, formatTable, type Cell } from './table.js';

export interface CtlContext {
  api: ApiClient;
  vhost: string;
  json: boolean;
  /** No informational header lines. */
  quiet: boolean;
  flags: { priority?: string; applyTo?: string; ifEmpty: boolean; ifUnused: boolean };
  out(text: string): void;
}

export interface Command {
  usage: string;
  help: string;
  /** [min, max] positional arguments (max -1 = any). */
  args: [number, number];
  run(ctx: CtlContext, args: string[]): Promise<void>;
}

/** rabbitmqctl column name → API field, where they differ. */
const QUEUE_COLUMNS: Record<string, string> = { messages_unacknowledged: 'messages_unacknowledged', pid: 'node' };
const BINDING_COLUMNS: Record<string, string> = { source_name: 'source', destination_name: 'destination', destination_kind: 'destination_type' };
const CONSUMER_COLUMNS: Record<string, string> = { queue_name: 'queue.name', channel_pid: 'channel_details.name' };
const CONNECTION_COLUMNS: Record<string, string> = { recv_oct: 'recv_oct', send_oct: 'send_oct' };

async function list(ctx: CtlContext, path: string, title: string, columns: string[], mapping: Record<string, string>, constants: Record<string, Cell> = {}): Promise<void> {
  const items = (await ctx.api.get(path)) as unknown[];
  const rows = items.map((it) => columns.map((c) => (c in constants ? constants[c] : field(it, mapping[c] ?? c))));
  if (ctx.json) {
    ctx.out(JSON.stringify(rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i] ?? null]))), null, 2) + '\n');
    return;
  }
  if (!ctx.quiet) ctx.out(`${title} ...\n`);
  ctx.out(formatTable(columns, rows));
}

function done(ctx: CtlContext, message: string, data: Record<string, unknown> = {}): void {
  ctx.out(ctx.json ? JSON.stringify({ result: 'ok', message, ...data }) + '\n' : `${message}\n`);
}

async function userOr404(ctx: CtlContext, name: string): Promise<{ password_hash: string; hashing_algorithm: string; tags: string[] }> {
  try {
    return (await ctx.api.get(`users/${enc(name)}`)) as { password_hash: string; hashing_algorithm: string; tags: string[] };
  } catch (e) {
    if (e instanceof CtlError && e.exitCode === EXIT.dataErr) throw new CtlError(`user "${name}" does not exist`, EXIT.dataErr);
    throw e;
  }
}

function parseJsonArg(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new CtlError(`${what} must be JSON, got ${text}`, EXIT.usage);
  }
}

export const COMMANDS: Record<string, Command> = {
  status: {
    usage: 'status', help: 'node status: versions, listeners, memory, object and message totals', args: [0, 0],
    async run(ctx) {
      const o = (await ctx.api.get('overview')) as Record<string, unknown>;
      const [node] = (await ctx.api.get('nodes')) as Record<string, unknown>[];
      if (ctx.json) {
        ctx.out(JSON.stringify({ overview: o, node }, null, 2) + '\n');
        return;
      }
      const totals = (o['object_totals'] ?? {}) as Record<string, number>;
      const q = (o['queue_totals'] ?? {}) as Record<string, number>;
      const listeners = (o['listeners'] ?? []) as { protocol: string; port: number; ip_address: string }[];
      ctx.out([
        `Status of node ${String(o['node'])} ...`,
        `Product: ${String(o['product_name'])} ${String(o['product_version'])} (RabbitMQ API ${String(o['rabbitmq_version'])})`,
        `Cluster name: ${String(o['cluster_name'])}`,
        `Uptime (seconds): ${Math.round(Number(node?.['uptime'] ?? 0) / 1000)}`,
        `Memory used: ${String(node?.['mem_used'])} bytes (limit ${String(node?.['mem_limit'])}, alarm ${String(node?.['mem_alarm'])})`,
        `Disk free: ${String(node?.['disk_free'])} bytes (limit ${String(node?.['disk_free_limit'])}, alarm ${String(node?.['disk_free_alarm'])})`,
        `Listeners: ${listeners.map((l) => `${l.protocol} ${l.ip_address}:${l.port}`).join(', ')}`,
        `Connections: ${totals['connections'] ?? 0}, channels: ${totals['channels'] ?? 0}, consumers: ${totals['consumers'] ?? 0}`,
        `Exchanges: ${totals['exchanges'] ?? 0}, queues: ${totals['queues'] ?? 0}, messages: ${q['messages'] ?? 0} (ready ${q['messages_ready'] ?? 0}, unacked ${q['messages_unacknowledged'] ?? 0})`,
      ].join('\n') + '\n');
    },
  },
  list_queues: {
    usage: 'list_queues [-p VHOST] [COLUMN ...]', help: 'queues with the given columns (default: name messages)', args: [0, -1],
    run: (ctx, cols) => list(ctx, `queues/${enc(ctx.vhost)}`, `Listing queues for vhost ${ctx.vhost}`, cols.length > 0 ? cols : ['name', 'messages'], QUEUE_COLUMNS),
  },
  list_exchanges: {
    usage: 'list_exchanges [-p VHOST] [COLUMN ...]', help: 'exchanges (default columns: name type)', args: [0, -1],
    run: (ctx, cols) => list(ctx, `exchanges/${enc(ctx.vhost)}`, `Listing exchanges for vhost ${ctx.vhost}`, cols.length > 0 ? cols : ['name', 'type'], {}),
  },
  list_bindings: {
    usage: 'list_bindings [-p VHOST] [COLUMN ...]', help: 'bindings (default: source_name source_kind destination_name destination_kind routing_key arguments)', args: [0, -1],
    run: (ctx, cols) => list(ctx, `bindings/${enc(ctx.vhost)}`, `Listing bindings for vhost ${ctx.vhost}`,
      cols.length > 0 ? cols : ['source_name', 'source_kind', 'destination_name', 'destination_kind', 'routing_key', 'arguments'], BINDING_COLUMNS, { source_kind: 'exchange' }),
  },
  list_connections: {
    usage: 'list_connections [COLUMN ...]', help: 'connections (default: name user peer_host peer_port state)', args: [0, -1],
    run: (ctx, cols) => list(ctx, 'connections', 'Listing connections', cols.length > 0 ? cols : ['name', 'user', 'peer_host', 'peer_port', 'state'], CONNECTION_COLUMNS),
  },
  list_channels: {
    usage: 'list_channels [COLUMN ...]', help: 'channels (default: name user consumer_count messages_unacknowledged)', args: [0, -1],
    run: (ctx, cols) => list(ctx, 'channels', 'Listing channels', cols.length > 0 ? cols : ['name', 'user', 'consumer_count', 'messages_unacknowledged'], {}),
  },
  list_consumers: {
    usage: 'list_consumers [-p VHOST] [COLUMN ...]', help: 'consumers (default: queue_name channel_pid consumer_tag ack_required prefetch_count active arguments)', args: [0, -1],
    run: (ctx, cols) => list(ctx, `consumers/${enc(ctx.vhost)}`, `Listing consumers in vhost ${ctx.vhost}`,
      cols.length > 0 ? cols : ['queue_name', 'channel_pid', 'consumer_tag', 'ack_required', 'prefetch_count', 'active', 'arguments'], CONSUMER_COLUMNS),
  },
  list_users: {
    usage: 'list_users', help: 'users and their tags', args: [0, 0],
    run: (ctx) => list(ctx, 'users', 'Listing users', ['user', 'tags'], { user: 'name' }),
  },
  list_vhosts: {
    usage: 'list_vhosts [COLUMN ...]', help: 'virtual hosts (default column: name)', args: [0, -1],
    run: (ctx, cols) => list(ctx, 'vhosts', 'Listing vhosts', cols.length > 0 ? cols : ['name'], {}),
  },
  list_permissions: {
    usage: 'list_permissions [-p VHOST]', help: 'permissions of every user on the vhost', args: [0, 0],
    run: (ctx) => list(ctx, `vhosts/${enc(ctx.vhost)}/permissions`, `Listing permissions for vhost "${ctx.vhost}"`, ['user', 'configure', 'write', 'read'], {}),
  },
  list_policies: {
    usage: 'list_policies [-p VHOST]', help: 'policies of the vhost', args: [0, 0],
    run: (ctx) => list(ctx, `policies/${enc(ctx.vhost)}`, `Listing policies for vhost "${ctx.vhost}"`, ['vhost', 'name', 'pattern', 'apply-to', 'definition', 'priority'], {}),
  },
  add_user: {
    usage: 'add_user USER PASSWORD', help: 'creates a user (no tags, no permissions)', args: [2, 2],
    async run(ctx, [user, password]) {
      const exists = await ctx.api.get(`users/${enc(user!)}`).then(() => true, (e: unknown) => {
        if (e instanceof CtlError && e.exitCode === EXIT.dataErr) return false;
        throw e;
      });
      if (exists) throw new CtlError(`user "${user}" already exists`, EXIT.dataErr);
      await ctx.api.request('PUT', `users/${enc(user!)}`, { password, tags: '' });
      done(ctx, `Adding user "${user}" ... done`);
    },
  },
  delete_user: {
    usage: 'delete_user USER', help: 'deletes a user (its connections are closed)', args: [1, 1],
    async run(ctx, [user]) {
      await userOr404(ctx, user!);
      await ctx.api.request('DELETE', `users/${enc(user!)}`);
      done(ctx, `Deleting user "${user}" ... done`);
    },
  },
  change_password: {
    usage: 'change_password USER NEW_PASSWORD', help: 'sets a user\'s password, keeping its tags', args: [2, 2],
    async run(ctx, [user, password]) {
      const u = await userOr404(ctx, user!);
      await ctx.api.request('PUT', `users/${enc(user!)}`, { password, tags: u.tags.join(',') });
      done(ctx, `Changing password for user "${user}" ... done`);
    },
  },
  set_user_tags: {
    usage: 'set_user_tags USER [TAG ...]', help: 'replaces a user\'s tags (administrator, monitoring, management, policymaker, ...)', args: [1, -1],
    async run(ctx, [user, ...tags]) {
      const u = await userOr404(ctx, user!);
      await ctx.api.request('PUT', `users/${enc(user!)}`, { password_hash: u.password_hash, hashing_algorithm: u.hashing_algorithm, tags: tags.join(',') });
      done(ctx, `Setting tags for user "${user}" to [${tags.join(', ')}] ... done`);
    },
  },
  add_vhost: {
    usage: 'add_vhost VHOST', help: 'creates a virtual host', args: [1, 1],
    async run(ctx, [vhost]) {
      await ctx.api.request('PUT', `vhosts/${enc(vhost!)}`, {});
      done(ctx, `Adding vhost "${vhost}" ... done`);
    },
  },
  delete_vhost: {
    usage: 'delete_vhost VHOST', help: 'deletes a virtual host and everything in it', args: [1, 1],
    async run(ctx, [vhost]) {
      try {
        await ctx.api.request('DELETE', `vhosts/${enc(vhost!)}`);
      } catch (e) {
        if (e instanceof CtlError && e.exitCode === EXIT.dataErr) throw new CtlError(`virtual host "${vhost}" does not exist`, EXIT.dataErr);
        throw e;
      }
      done(ctx, `Deleting vhost "${vhost}" ... done`);
    },
  },
  set_permissions: {
    usage: 'set_permissions [-p VHOST] USER CONF WRITE READ', help: 'sets a user\'s permission patterns on a vhost', args: [4, 4],
    async run(ctx, [user, configure, write, read]) {
      await ctx.api.request('PUT', `permissions/${enc(ctx.vhost)}/${enc(user!)}`, { configure, write, read });
      done(ctx, `Setting permissions for user "${user}" in vhost "${ctx.vhost}" ... done`);
    },
  },
  clear_permissions: {
    usage: 'clear_permissions [-p VHOST] USER', help: 'removes a user\'s permissions on a vhost', args: [1, 1],
    async run(ctx, [user]) {
      await ctx.api.request('DELETE', `permissions/${enc(ctx.vhost)}/${enc(user!)}`);
      done(ctx, `Clearing permissions for user "${user}" in vhost "${ctx.vhost}" ... done`);
    },
  },
  set_policy: {
    usage: 'set_policy [-p VHOST] [--priority N] [--apply-to queues|exchanges|all] NAME PATTERN DEFINITION', help: 'sets a policy (DEFINITION is JSON)', args: [3, 3],
    async run(ctx, [name, pattern, definition]) {
      const def = parseJsonArg(definition!, 'DEFINITION');
      const priority = ctx.flags.priority === undefined ? 0 : Number(ctx.flags.priority);
      if (!Number.isInteger(priority)) throw new CtlError(`--priority must be an integer, got ${ctx.flags.priority}`, EXIT.usage);
      await ctx.api.request('PUT', `policies/${enc(ctx.vhost)}/${enc(name!)}`, { pattern, definition: def, priority, 'apply-to': ctx.flags.applyTo ?? 'all' });
      done(ctx, `Setting policy "${name}" for pattern "${pattern}" to "${definition}" with priority "${priority}" for vhost "${ctx.vhost}" ... done`);
    },
  },
  clear_policy: {
    usage: 'clear_policy [-p VHOST] NAME', help: 'removes a policy', args: [1, 1],
    async run(ctx, [name]) {
      await ctx.api.request('DELETE', `policies/${enc(ctx.vhost)}/${enc(name!)}`);
      done(ctx, `Clearing policy "${name}" on vhost "${ctx.vhost}" ... done`);
    },
  },
  purge_queue: {
    usage: 'purge_queue [-p VHOST] QUEUE', help: 'removes every ready message of a queue', args: [1, 1],
    async run(ctx, [queue]) {
      const q = (await ctx.api.get(`queues/${enc(ctx.vhost)}/${enc(queue!)}`)) as { messages_ready?: number };
      await ctx.api.request('DELETE', `queues/${enc(ctx.vhost)}/${enc(queue!)}/contents`);
      done(ctx, `Purging queue '${queue}' in vhost '${ctx.vhost}' ... done`, { purged: q.messages_ready ?? 0 });
    },
  },
  delete_queue: {
    usage: 'delete_queue [-p VHOST] [--if-empty] [--if-unused] QUEUE', help: 'deletes a queue', args: [1, 1],
    async run(ctx, [queue]) {
      const q = (await ctx.api.get(`queues/${enc(ctx.vhost)}/${enc(queue!)}`)) as { messages?: number };
      const params = [ctx.flags.ifEmpty ? 'if-empty=true' : '', ctx.flags.ifUnused ? 'if-unused=true' : ''].filter(Boolean).join('&');
      await ctx.api.request('DELETE', `queues/${enc(ctx.vhost)}/${enc(queue!)}${params ? `?${params}` : ''}`);
      done(ctx, `Deleting queue '${queue}' on vhost '${ctx.vhost}' ... Queue was successfully deleted with ${q.messages ?? 0} messages`, { messages: q.messages ?? 0 });
    },
  },
  close_connection: {
    usage: 'close_connection CONNECTION_NAME REASON', help: 'closes a connection (320 CONNECTION_FORCED with REASON)', args: [2, 2],
    async run(ctx, [name, reason]) {
      await ctx.api.request('DELETE', `connections/${enc(name!)}`, undefined, { 'x-reason': reason! });
      done(ctx, `Closing connection ${name}, reason: ${reason} ... done`);
    },
  },
  export_definitions: {
    usage: 'export_definitions FILE|-', help: 'writes every definition as RabbitMQ JSON to FILE (- = standard output)', args: [1, 1],
    async run(ctx, [file]) {
      const defs = await ctx.api.get('definitions');
      const text = JSON.stringify(defs, null, 2) + '\n';
      if (file === '-') ctx.out(text);
      else {
        await writeFile(file!, text).catch((e: Error) => { throw new CtlError(`cannot write ${file}: ${e.message}`, EXIT.failure); });
        done(ctx, `Exported definitions to ${file}`);
      }
    },
  },
  import_definitions: {
    usage: 'import_definitions FILE|-', help: 'imports RabbitMQ definitions JSON from FILE (- = standard input); all or nothing', args: [1, 1],
    async run(ctx, [file]) {
      const text = file === '-' ? await readStdin() : await readFile(file!, 'utf8').catch((e: Error) => { throw new CtlError(`cannot read ${file}: ${e.message}`, EXIT.dataErr); });
      parseJsonArg(text, `${file === '-' ? 'standard input' : file}`);
      await ctx.api.request('POST', 'definitions', text);
      done(ctx, `Imported definitions from ${file === '-' ? 'standard input' : file}`);
    },
  },
};

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
