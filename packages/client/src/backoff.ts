/** Exponential back-off with jitter, for reconnects and ensure(). */
export interface RetryPolicy {
  /** Give up after this many retries (default: unlimited for reconnects, 5 for ensure()). */
  maxRetries?: number;
  /** First delay in ms (default 100). */
  initialDelay?: number;
  /** Upper bound of a delay in ms (default 10 000). */
  maxDelay?: number;
  /** Growth factor per attempt (default 2). */
  factor?: number;
  /** Fraction of each delay that is random, 0..1 (default 0.5: "equal jitter"). */
  jitter?: number;
}

/** Delay before retry number `attempt` (0-based). */
export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  const initial = policy.initialDelay ?? 100;
  const max = policy.maxDelay ?? 10_000;
  const factor = policy.factor ?? 2;
  const jitter = Math.min(1, Math.max(0, policy.jitter ?? 0.5));
  const base = Math.min(max, initial * Math.pow(factor, Math.min(attempt, 64)));
  return Math.round(base * (1 - jitter) + Math.random() * base * jitter);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
