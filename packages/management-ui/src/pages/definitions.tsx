// Definitions: download the broker's (or one vhost's) definitions as JSON, and upload a file to import.
import { useState } from 'preact/hooks';
import { api, enc } from '../api.js';
import { ActionResult, Field, Section, VhostSelect } from '../components.js';
import { useAction } from '../hooks.js';

const ALL = '\u0000all';

function definitionsPath(vhost: string): string {
  return vhost === ALL ? '/definitions' : `/definitions/${enc(vhost)}`;
}

function fileName(vhost: string): string {
  const date = new Date().toISOString().slice(0, 10);
  const scope = vhost === ALL ? 'all' : vhost.replace(/[^A-Za-z0-9_-]+/g, '_') || 'default';
  return `warren_definitions_${scope}_${date}.json`;
}

function ScopeSelect({ value, onChange, testid }: { value: string; onChange: (v: string) => void; testid: string }) {
  const [all, setAll] = useState(value === ALL);
  return (
    <span class="scope">
      <select
        value={all ? 'all' : 'vhost'}
        data-testid={testid}
        onChange={(e) => {
          const isAll = e.currentTarget.value === 'all';
          setAll(isAll);
          onChange(isAll ? ALL : '/');
        }}
      >
        <option value="all">All virtual hosts</option>
        <option value="vhost">One virtual host</option>
      </select>
      {!all && <VhostSelect value={value} onChange={onChange} />}
    </span>
  );
}

export function DefinitionsPage() {
  const download = useAction();
  const upload = useAction();
  const [downloadScope, setDownloadScope] = useState(ALL);
  const [uploadScope, setUploadScope] = useState(ALL);
  const [file, setFile] = useState<File | null>(null);

  const startDownload = () =>
    void download.run(async () => {
      const definitions = await api(definitionsPath(downloadScope));
      const blob = new Blob([JSON.stringify(definitions, null, 2)], { type: 'application/json' });
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = fileName(downloadScope);
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      return `Downloaded ${a.download}.`;
    });

  const startUpload = (e: Event) => {
    e.preventDefault();
    void upload.run(async () => {
      if (!file) throw new Error('Choose a definitions file first');
      let body: unknown;
      try {
        body = JSON.parse(await file.text());
      } catch (err) {
        throw new Error(`${file.name} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      await api(definitionsPath(uploadScope), { method: 'POST', body });
      return `Definitions from ${file.name} imported.`;
    });
  };

  return (
    <div data-testid="page-definitions">
      <h1>Definitions</h1>
      <p class="muted">Users, virtual hosts, permissions, parameters, policies, queues, exchanges and bindings, in RabbitMQ's JSON format.</p>
      <Section title="Export definitions">
        <div class="form">
          <Field label="Scope">
            <ScopeSelect value={downloadScope} onChange={setDownloadScope} testid="download-scope" />
          </Field>
          <div class="actions">
            <button type="button" disabled={download.busy} data-testid="definitions-download" onClick={startDownload}>
              Download broker definitions
            </button>
          </div>
          <ActionResult action={download} />
        </div>
      </Section>
      <Section title="Import definitions">
        <form class="form" onSubmit={startUpload} data-testid="definitions-upload-form">
          <Field label="Definitions file">
            <input type="file" accept="application/json,.json" data-testid="definitions-file" onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)} />
          </Field>
          <Field label="Scope">
            <ScopeSelect value={uploadScope} onChange={setUploadScope} testid="upload-scope" />
          </Field>
          <div class="actions">
            <button type="submit" disabled={upload.busy} data-testid="definitions-upload">
              Upload broker definitions
            </button>
          </div>
          <ActionResult action={upload} />
        </form>
      </Section>
    </div>
  );
}
