// Starts a real coordinator on port 0 and real FederatedClients, and registers their teardown.
import { afterEach } from 'vitest';
import { Coordinator, createLogger, type CoordinatorConfigInput } from '@fedtune/coordinator';
import { FederatedClient, type LocalTrainer } from '@fedtune/client';
import type { Weights } from '@fedtune/shared';

export const TOKEN = 'test-token-0123456789abcdef';
export const ADMIN_TOKEN = 'admin-token-fedcba9876543210';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

export async function startCoordinator(config: CoordinatorConfigInput, initialWeights?: Weights) {
  const coordinator = await Coordinator.create({
    config: { host: '127.0.0.1', port: 0, tokens: [TOKEN], adminTokens: [ADMIN_TOKEN], seed: 'test', maxSessionsPerToken: 10_000, ...config },
    logger: createLogger(process.env.FEDTUNE_TEST_LOG === '1' ? 'debug' : 'silent', 'coordinator'),
    ...(initialWeights === undefined ? {} : { initialWeights }),
  });
  cleanups.push(() => coordinator.close());
  const { url } = await coordinator.listen();
  return { coordinator, url };
}

export async function startClients(url: string, trainers: LocalTrainer[], extra: Partial<ConstructorParameters<typeof FederatedClient>[0]> = {}) {
  const clients = trainers.map((trainer, i) => new FederatedClient({ url, token: TOKEN, trainer, nodeName: `n${i}`, reconnect: { initialDelayMs: 20, maxDelayMs: 200 }, ...extra }));
  for (const c of clients) {
    c.on('error', (e) => {
      if (process.env.FEDTUNE_TEST_LOG === '1') process.stderr.write(`client error ${e.code}: ${e.message}\n`);
    });
    cleanups.push(() => c.close());
  }
  await Promise.all(clients.map((c) => c.start()));
  return clients;
}
