// `pnpm bench [--tiny] [--only NAME[,NAME...]]`: runs every packages/*/bench/*.bench.ts (or those whose
// name contains one of the NAMEs), prints its figures and writes them to bench-results/NAME.json
// (record the ones you quote in docs/BENCHMARKS.md).
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { BenchFn } from './bench-types.js';

export async function findBenches(root: string): Promise<{ name: string; path: string }[]> {
  const out: { name: string; path: string }[] = [];
  for (const pkg of await readdir(join(root, 'packages'))) {
    const dir = join(root, 'packages', pkg, 'bench');
    const files = await readdir(dir).catch(() => [] as string[]);
    for (const f of files.filter((x) => x.endsWith('.bench.ts')).sort()) out.push({ name: `${pkg}/${f.replace(/\.bench\.ts$/, '')}`, path: join(dir, f) });
  }
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { tiny: { type: 'boolean', default: false }, only: { type: 'string' } } });
  const root = process.cwd();
  const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`;
  await mkdir(join(root, 'bench-results'), { recursive: true });
  for (const b of await findBenches(root)) {
    if (values.only !== undefined && !values.only.split(',').some((part) => b.name.includes(part))) continue;
    const mod = (await import(b.path)) as { bench: BenchFn };
    console.log(`\n== ${b.name}${values.tiny ? ' (tiny)' : ''} on ${machine}`);
    const figures = await mod.bench({ tiny: values.tiny });
    console.table(figures);
    await writeFile(join(root, 'bench-results', `${b.name.replace('/', '-')}.json`), JSON.stringify({ machine, tiny: values.tiny, date: new Date().toISOString(), figures }, null, 2));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
