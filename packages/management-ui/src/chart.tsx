// A line chart drawn as plain SVG: a few series over the same sample times, y axis from zero to the
// largest value seen, with a legend that shows each series' latest value.

export interface Series {
  label: string;
  color: string;
  values: number[];
  /** data-testid of the legend value, so tests can read the latest figure */
  testid: string;
}

const WIDTH = 600;
const HEIGHT = 160;
const PAD_LEFT = 48;
const PAD_BOTTOM = 18;

/** A round axis maximum at or above `max`: 1, 2 or 5 times a power of ten. */
function niceMax(max: number): number {
  if (max <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

function axisLabel(value: number): string {
  if (value >= 1e6) return `${value / 1e6}M`;
  if (value >= 1e3) return `${value / 1e3}k`;
  return String(value);
}

export function LineChart({ title, series, capacity, format, testid }: { title: string; series: Series[]; capacity: number; format: (v: number) => string; testid: string }) {
  const top = niceMax(Math.max(0, ...series.flatMap((s) => s.values)));
  const plotWidth = WIDTH - PAD_LEFT;
  const plotHeight = HEIGHT - PAD_BOTTOM;
  const x = (i: number, n: number) => PAD_LEFT + plotWidth - ((n - 1 - i) * plotWidth) / Math.max(capacity - 1, 1);
  const y = (v: number) => plotHeight - (v / top) * (plotHeight - 4);
  return (
    <figure class="chart" data-testid={testid}>
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={title} data-zero-y={plotHeight}>
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line x1={PAD_LEFT} x2={WIDTH} y1={y(top * f)} y2={y(top * f)} class="grid" />
            <text x={PAD_LEFT - 6} y={y(top * f) + 4} text-anchor="end" class="axis">
              {axisLabel(top * f)}
            </text>
          </g>
        ))}
        {/* the first series is drawn last, on top, where lines coincide */}
        {[...series].reverse().map((s) =>
          s.values.length > 1 ? (
            <polyline
              key={s.label}
              data-testid={`line-${s.testid}`}
              fill="none"
              stroke={s.color}
              stroke-width="2"
              points={s.values.map((v, i) => `${x(i, s.values.length).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}
            />
          ) : null,
        )}
        <text x={WIDTH} y={HEIGHT - 4} text-anchor="end" class="axis">
          now
        </text>
      </svg>
      <ul class="legend">
        {series.map((s) => (
          <li key={s.label}>
            <span class="swatch" style={{ background: s.color }} />
            {s.label} <strong data-testid={s.testid}>{s.values.length ? format(s.values[s.values.length - 1]) : '–'}</strong>
          </li>
        ))}
      </ul>
    </figure>
  );
}
