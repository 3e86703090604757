// Turns monotonic counters into per-second rates, like RabbitMQ's `*_details.rate`: each sample
// records an object's current values; the rate is the change since the previous sample divided
// by the time between them. State is held per object in a WeakMap, so a deleted queue or a
// closed channel needs no unregistering.

interface SampleState {
  at: number;
  values: number[];
  rates: number[];
}

export class RateSampler {
  private readonly states = new WeakMap<object, SampleState>();

  /** Records `values` for `obj` at time `now` (ms) and updates its rates. */
  record(obj: object, values: readonly number[], now: number): void {
    const s = this.states.get(obj);
    if (s === undefined) {
      this.states.set(obj, { at: now, values: values.slice(), rates: values.map(() => 0) });
      return;
    }
    const dt = (now - s.at) / 1000;
    if (dt <= 0) return;
    for (let i = 0; i < values.length; i++) {
      const d = values[i]! - (s.values[i] ?? 0);
      s.rates[i] = d / dt;
      s.values[i] = values[i]!;
    }
    s.at = now;
  }

  /** The rates from the last two samples of `obj` (zeros if it was sampled fewer than twice). */
  rates(obj: object): readonly number[] | undefined {
    return this.states.get(obj)?.rates;
  }
}
