// Display helpers for numbers, rates, byte sizes and the API's mixed-type fields.

export function count(value: number | undefined): string {
  return value === undefined ? '–' : value.toLocaleString('en-US');
}

/** A per-second rate: one decimal below 10/s, whole numbers above. */
export function rate(value: number | undefined): string {
  if (value === undefined) return '–';
  return value < 10 ? `${value.toFixed(1)}/s` : `${Math.round(value).toLocaleString('en-US')}/s`;
}

export function bytes(value: number | undefined): string {
  if (value === undefined) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = value;
  let unit = 0;
  while (v >= 1024 && unit < units.length - 1) {
    v /= 1024;
    unit++;
  }
  return unit === 0 ? `${Math.round(v)} B` : `${v.toFixed(1)} ${units[unit]}`;
}

/** User tags come as an array (RabbitMQ ≥ 3.9) or as a comma-separated string (older exports). */
export function tags(value: string[] | string | undefined): string {
  if (value === undefined) return '';
  return Array.isArray(value) ? value.join(', ') : value.split(',').filter(Boolean).join(', ');
}

/** Arguments, definitions and headers as compact `key: value` text. */
export function keyValues(value: Record<string, unknown> | undefined): string {
  if (!value) return '';
  return Object.entries(value)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join('; ');
}

export function yesNo(value: boolean | undefined): string {
  return value ? 'yes' : 'no';
}
