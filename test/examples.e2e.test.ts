// The examples as a user runs them: `node index.js` from each example folder (plain JavaScript on
// the built @fedtune/client), two edge nodes each against a real coordinator on port 0.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TOKEN, startCoordinator } from './helpers/fleet.js';
import { writeCsvShards } from './helpers/csv-data.js';
import { runProcess } from './helpers/processes.js';

const example = (name: string) => join(process.cwd(), 'examples', name);
const twoNodeRounds = { rounds: 2, minNodes: 2, minResults: 2, selection: { kind: 'uniform' as const, clientsPerRound: 2, overSelection: 0 } };

describe('examples', () => {
  it('edge-node-mlp: two plain JavaScript nodes on CSV files complete two rounds', async () => {
    const { coordinator, url } = await startCoordinator(twoNodeRounds);
    const files = await writeCsvShards(await mkdtemp(join(tmpdir(), 'fedtune-example-')), 2);
    const run = coordinator.run();
    const nodes = files.map((f) => runProcess(process.execPath, ['index.js', f, '10'], { cwd: example('edge-node-mlp'), env: { FEDTUNE_URL: url, FEDTUNE_TOKEN: TOKEN } }));
    const summaries = await run;
    expect(summaries.map((s) => s.status)).toEqual(['completed', 'completed']);
    expect(await Promise.all(nodes.map((n) => n.exited))).toEqual([0, 0]);
    for (const n of nodes) expect(n.output().out).toMatch(/round 2: trained on \d+ examples[\s\S]*training finished: completed 2 rounds/);
  });

  it('custom-trainer: a LocalTrainer around the user\'s own model federates a regression', async () => {
    const { coordinator, url } = await startCoordinator({ ...twoNodeRounds, rounds: 3, trainConfig: { epochs: 30 } });
    const run = coordinator.run();
    const nodes = [0, 1].map(() => runProcess(process.execPath, ['index.js', '128'], { cwd: example('custom-trainer'), env: { FEDTUNE_URL: url, FEDTUNE_TOKEN: TOKEN } }));
    const summaries = await run;
    expect(summaries.map((s) => s.status)).toEqual(['completed', 'completed', 'completed']);
    expect(await Promise.all(nodes.map((n) => n.exited))).toEqual([0, 0]);
    // The federated model fits the shared function better after three rounds than after one.
    expect(summaries[2]!.evalLoss!).toBeLessThan(summaries[0]!.evalLoss!);
  });
});
