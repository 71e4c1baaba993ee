import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider, seededRandom } from '@fedtune/shared';
import { CausalLmTrainer } from '@fedtune/client';
import { createGptTinyWorkload } from './gpt-tiny-workload.js';
import { generateNotes } from './synthetic-notes.js';

describe('gpt-tiny workload', () => {
  it('generates notes deterministically from the seed', () => {
    const a = generateNotes(5, seededRandom(nodeCryptoProvider, 1));
    expect(generateNotes(5, seededRandom(nodeCryptoProvider, 1))).toEqual(a);
    expect(a.every((n) => n.text.length > 40)).toBe(true);
  });

  it('builds identical starting nodes, plants the canary in one node, and training lowers perplexity', async () => {
    const wl = createGptTinyWorkload({ notesPerNode: 12, config: { nLayer: 1, nEmbd: 32, contextLength: 32 } });
    expect([wl.model, wl.dataset]).toEqual(['gpt-tiny', 'synthetic-notes']);
    const nodes = (await wl.createNodes({ clients: 3, partition: { kind: 'dirichlet', alpha: 0.5 }, random: seededRandom(nodeCryptoProvider, 2), backend: 'cpu' })) as CausalLmTrainer[];
    expect(nodes).toHaveLength(3);
    expect(nodes[1]!.getWeights()).toEqual(nodes[0]!.getWeights());
    expect(wl.lastCanary?.secret).toMatch(/^\d{6}$/);
    expect(wl.lastCanary?.node).toBe(0);
    const before = await nodes[0]!.evaluate(wl.trainConfig);
    await nodes[0]!.fit({ ...wl.trainConfig, epochs: 2 });
    const after = await nodes[0]!.evaluate(wl.trainConfig);
    expect(after.metrics['perplexity']).toBeLessThan(before.metrics['perplexity']!);
    for (const n of nodes) n.dispose();
  });
});
