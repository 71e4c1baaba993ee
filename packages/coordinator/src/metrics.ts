// Prometheus metrics in the text exposition format (version 0.0.4), served at /metrics.
type Labels = Record<string, string>;

function key(name: string, labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`);
  return parts.length === 0 ? name : `${name}{${parts.join(',')}}`;
}

export class Metrics {
  private readonly values = new Map<string, { name: string; value: number; type: 'counter' | 'gauge' }>();

  inc(name: string, labels: Labels = {}, by = 1): void {
    const k = key(name, labels);
    const cur = this.values.get(k);
    this.values.set(k, { name, value: (cur?.value ?? 0) + by, type: 'counter' });
  }

  set(name: string, value: number, labels: Labels = {}): void {
    this.values.set(key(name, labels), { name, value, type: 'gauge' });
  }

  get(name: string, labels: Labels = {}): number | undefined {
    return this.values.get(key(name, labels))?.value;
  }

  /** The exposition text. */
  render(): string {
    const typed = new Set<string>();
    const lines: string[] = [];
    for (const [k, v] of [...this.values].sort(([a], [b]) => a.localeCompare(b))) {
      if (!typed.has(v.name)) {
        lines.push(`# TYPE ${v.name} ${v.type}`);
        typed.add(v.name);
      }
      lines.push(`${k} ${v.value}`);
    }
    return lines.join('\n') + '\n';
  }
}
