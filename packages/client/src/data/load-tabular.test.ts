// Tabular loading through a real CSV parser (issue 11, item 10): quoted fields, headers, a BOM,
// CRLF, a million rows without a stack overflow; every bad value refused naming file and line.
import { createWriteStream } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTabular } from './load-tabular.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fedtune-tabular-'));
});

async function file(name: string, text: string): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, text);
  return p;
}

describe('loadTabular', () => {
  it('parses quoted fields, embedded commas and newlines, a BOM, CRLF and padded headers', async () => {
    const p = await file('quoted.csv', '\uFEFF "a" ,b,label\r\n"1,5",2,0\r\n3,"4",1\r\n\r\n"-0.25",  5e-1 ,2\r\n');
    const d = await loadTabular(p);
    expect(d.numFeatures).toBe(2);
    expect([...d.features]).toEqual([1.5, 2, 3, 4, -0.25, 0.5]);
    expect([...d.labels]).toEqual([0, 1, 2]);
    expect(d.numClasses).toBe(3);
    expect(d.summary).toEqual({ rows: 3, maxLabel: 2, classesFrom: 'inferred' });
  });

  it('takes the label column from anywhere, by name', async () => {
    const p = await file('label-first.csv', 'y,f1,f2\n1,0.5,0.25\n0,1,2\n');
    const d = await loadTabular(p, 'y', 4);
    expect([...d.features]).toEqual([0.5, 0.25, 1, 2]);
    expect([...d.labels]).toEqual([1, 0]);
    expect(d.numClasses).toBe(4);
    expect(d.summary.classesFrom).toBe('given');
  });

  it('loads a million rows streaming, with no stack overflow (Math.max(...labels) overflowed at 200,000)', async () => {
    const p = join(dir, 'million.csv');
    const out = createWriteStream(p);
    out.write('f0,f1,label\n');
    const rows = 1_000_000;
    for (let i = 0; i < rows; i += 10_000) {
      let chunk = '';
      for (let j = i; j < i + 10_000; j++) chunk += `${j % 97},${(j % 13) / 4},${j % 7}\n`;
      out.write(chunk);
    }
    await new Promise<void>((r) => out.end(r));
    const d = await loadTabular(p);
    expect(d.labels.length).toBe(rows);
    expect(d.numClasses).toBe(7);
    expect(d.features[2 * (rows - 1)]).toBe((rows - 1) % 97);
    expect(d.labels[rows - 1]).toBe((rows - 1) % 7);
  }, 60_000);

  it('names the file, the line and the column of every bad value', async () => {
    const cases: [string, string, RegExp][] = [
      ['text.csv', 'a,label\n1,0\nabc,1\n', /text\.csv:3: column "a": "abc" is not a finite number/],
      ['nan.csv', 'a,label\n1,0\nNaN,1\n', /nan\.csv:3: column "a": "NaN" is not a finite number/],
      ['inf.csv', 'a,label\nInfinity,0\n', /inf\.csv:2: column "a": "Infinity" is not a finite number/],
      ['empty-cell.csv', 'a,b,label\n1,,0\n', /empty-cell\.csv:2: column "b": "" is not a finite number/],
      ['label.csv', 'a,label\n1,0.5\n', /label\.csv:2: column "label": "0.5" is not a class index/],
      ['neg.csv', 'a,label\n1,-1\n', /neg\.csv:2: column "label": "-1" is not a class index/],
      ['short.csv', 'a,b,label\n1,2,0\n3,4\n', /short\.csv:3: .*columns/i],
      ['quote.csv', 'a,label\n"1,0\n', /quote\.csv:\d+: .*[Qq]uote/],
      ['nolabel.csv', 'a,b\n1,2\n', /nolabel\.csv:1: no "label" column in the header \("a", "b"\); name the label column with --label-column/],
      ['header-only.csv', 'a,label\n', /header-only\.csv has no rows/],
      ['big-label.csv', 'a,label\n1,5\n', /big-label\.csv: label 5 is >= --classes 3/],
    ];
    for (const [name, text, re] of cases) {
      const p = await file(name, text);
      await expect(loadTabular(p, 'label', name === 'big-label.csv' ? 3 : undefined), name).rejects.toMatchObject({ code: 'FT_ERR_CONFIG', message: expect.stringMatching(re) });
    }
    await expect(loadTabular(join(dir, 'absent.csv'))).rejects.toMatchObject({ code: 'FT_ERR_CONFIG', message: expect.stringMatching(/cannot read .*absent\.csv/) });
    await expect(loadTabular(dir)).rejects.toMatchObject({ code: 'FT_ERR_CONFIG' });
  });

  it('reads JSONL the same way, naming the line of a bad record', async () => {
    const d = await loadTabular(await file('ok.jsonl', '{"a": 1, "label": 0}\n\n{"a": "2,5", "label": 1}\n'));
    expect([...d.features]).toEqual([1, 2.5]);
    for (const [name, text, re] of [
      ['bad.jsonl', '{"a": 1, "label": 0}\n{oops\n', /bad\.jsonl:2: not JSON/],
      ['array.jsonl', '[1, 2]\n', /array\.jsonl:1: not a JSON object/],
      ['fields.jsonl', '{"a": 1, "label": 0}\n{"b": 1, "label": 0}\n', /fields\.jsonl:2: fields differ/],
      ['null.jsonl', '{"a": null, "label": 0}\n', /null\.jsonl:1: column "a": null is not a finite number/],
    ] as const) {
      await expect(loadTabular(await file(name, text)), name).rejects.toMatchObject({ code: 'FT_ERR_CONFIG', message: expect.stringMatching(re) });
    }
  });

  it('property: any table of finite numbers written as CSV (quoted or not) loads back exactly as float32', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.array(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e30, max: 1e30 }), { minLength: 2, maxLength: 2 }), fc.nat({ max: 9 }), fc.boolean()), { minLength: 1, maxLength: 30 }),
        async (rows) => {
          const text = 'x,y,label\n' + rows.map(([v, l, quote]) => [...v.map((x) => (quote ? `"${x}"` : String(x))), String(l)].join(',')).join('\n');
          const d = await loadTabular(await file('prop.csv', text));
          // String(-0) is "0": compare as numbers, not as signed zeros.
          expect([...d.features].map((x) => x + 0)).toEqual(rows.flatMap(([v]) => v.map((x) => Math.fround(x) + 0)));
          expect([...d.labels]).toEqual(rows.map(([, l]) => l));
        },
      ),
      { numRuns: 40 },
    );
  });
});
