// `npx warren server` runs Warren as npm → sh → node. A SIGTERM sent to npm kills npm and the shell
// but never reaches Warren, which would live on as an orphan holding the port. When npm started us,
// losing the original parent (being re-parented) is therefore treated like SIGTERM.

const POLL_MS = 500;

/** True when the process was launched by an npm script or npx/npm exec. */
export function launchedByNpm(env: NodeJS.ProcessEnv): boolean {
  return env.npm_lifecycle_event !== undefined;
}

/** Calls `onOrphaned` once if the parent process goes away. The timer never keeps the process alive. */
export function watchParent(onOrphaned: () => void): () => void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(timer);
      onOrphaned();
    }
  }, POLL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
