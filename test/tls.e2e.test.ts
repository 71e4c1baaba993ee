// TLS end to end: a coordinator serving https/wss from certificate files, a node that trusts its
// CA completes a round, and a node that does not is refused by the TLS handshake.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { io } from 'socket.io-client';
import type { Weights } from '@fedtune/shared';
import { startClients, startCoordinator } from './helpers/fleet.js';
import { ToyTrainer } from './helpers/toy-trainer.js';

const fixture = (f: string) => fileURLToPath(new URL(`./fixtures/tls/${f}`, import.meta.url));
const zeros: Weights = { tensors: [{ name: 'w', shape: [4] }], data: new Float32Array(4) };

describe('TLS', () => {
  it('serves wss from certificate files; a node trusting the CA trains; an untrusting one is refused', async () => {
    const { coordinator, url } = await startCoordinator(
      { rounds: 1, minNodes: 1, minResults: 1, selection: { kind: 'uniform', clientsPerRound: 1, overSelection: 0 }, evaluateEvery: 0, tls: { certFile: fixture('cert.pem'), keyFile: fixture('key.pem') } },
      zeros,
    );
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = await readFile(fixture('cert.pem'), 'utf8');
    await startClients(url, [new ToyTrainer({ target: Float32Array.from([1, 2, 3, 4]) })], { tls: { ca } });
    const [s] = await coordinator.run();
    expect(s!.status).toBe('completed');
    expect(Array.from(coordinator.store.current!.weights.data)).toEqual([1, 2, 3, 4]);

    const untrusting = io(url, { transports: ['websocket'], reconnection: false, forceNew: true });
    const err = await new Promise<Error>((resolve) => untrusting.once('connect_error', resolve));
    untrusting.close();
    // engine.io wraps the ws error event; the TLS verdict is underneath.
    const d = (err as { description?: { error?: { code?: string; message?: string }; message?: string } }).description;
    expect(`${d?.error?.code ?? ''} ${d?.error?.message ?? d?.message ?? err.message}`).toMatch(/SELF_SIGNED|self[- ]signed certificate/i);
  });

  it('refuses to start with unreadable certificate files', async () => {
    await expect(startCoordinator({ tls: { certFile: '/nonexistent/cert.pem', keyFile: fixture('key.pem') } })).rejects.toMatchObject({ code: 'FT_ERR_CONFIG' });
  });
});
