// What each side refuses (Bonawitz et al. 2017 §4): out-of-order stages, a coordinator asking for
// both shares of one node, forged or missing signatures in active mode, tampered share boxes.
import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider as crypto } from '../crypto/node-crypto.js';
import { seededRandom } from '../crypto/random.js';
import { clientAdvertiseKeys } from './client-advertise.js';
import { clientConsistency } from './client-consistency.js';
import { clientMaskChunk, clientMaskVector, clientMaskedInput } from './client-masked-input.js';
import { clientShareKeys } from './client-share.js';
import { type SecAggClientState, createSecAggClient } from './client-state.js';
import { clientUnmask } from './client-unmask.js';
import { ed25519KeyPairFromSeed, ed25519Sign } from './keys.js';
import type { ConsistencyRequest, ShareKeysRequest, UnmaskRequest } from './messages.js';
import { serverFinishAdvertise, serverReceiveAdvertise } from './server-advertise.js';
import { serverFinishMaskedInput, serverReceiveMaskedChunk } from './server-masked-input.js';
import { serverFinishShareKeys, serverReceiveShareKeys } from './server-share.js';
import { thrownCode } from './test-helpers.js';
import { createSecAggServer } from './server-state.js';

const env = { crypto, rng: seededRandom(crypto, 'refusals') };
const ids = ['a', 'b', 'c', 'd', 'e'];
const identities = new Map(ids.map((id) => [id, ed25519KeyPairFromSeed(crypto.sha256(new TextEncoder().encode(`id/${id}`)))]));
const identityKeys = new Map([...identities].map(([id, kp]) => [id, kp.publicKey]));

const code = thrownCode;

/** Runs a 5-node all-to-all round (t = 3) up to the requests of `until`. */
function runTo(active: boolean, until: 'ShareKeys' | 'MaskedInput' | 'AfterMasked', vectorLength = 8) {
  const { state: server, setups } = createSecAggServer({ round: 4, cohort: ids, threshold: 3, bits: 32, vectorLength, chunkElements: 8192, activeMode: active, identityKeys: active ? identityKeys : undefined, rng: env.rng });
  const clients = new Map<string, SecAggClientState>();
  for (const id of ids) {
    const r = clientAdvertiseKeys(createSecAggClient({ nodeId: id, identity: active ? identities.get(id) : undefined, identityKeys: active ? identityKeys : undefined }), setups.get(id)!, env);
    clients.set(id, r.state);
    serverReceiveAdvertise(server, id, r.message, crypto);
  }
  const adv = serverFinishAdvertise(server).outcome;
  if (!adv.ok) throw new Error('abort');
  if (until === 'ShareKeys') return { server, clients, setups, shareReqs: adv.messages };
  for (const [id, req] of adv.messages) {
    const r = clientShareKeys(clients.get(id)!, req, env);
    clients.set(id, r.state);
    serverReceiveShareKeys(server, id, r.message);
  }
  const shr = serverFinishShareKeys(server).outcome;
  if (!shr.ok) throw new Error('abort');
  if (until === 'MaskedInput') return { server, clients, setups, maskedReqs: shr.messages };
  for (const [id, req] of shr.messages) {
    if (id === 'e') continue; // e drops before sending its masked input
    const st = clientMaskedInput(clients.get(id)!, req, env).state;
    clients.set(id, st);
    serverReceiveMaskedChunk(server, id, clientMaskChunk(st, 0, new Uint32Array(8).fill(1), env));
  }
  const msk = serverFinishMaskedInput(server).outcome;
  if (!msk.ok) throw new Error('abort');
  return { server, clients, setups, next: msk.messages };
}

describe('client refusals', () => {
  it('refuses stages out of order', () => {
    const c = createSecAggClient({ nodeId: 'a' });
    expect(code(() => clientShareKeys(c, { round: 4, keys: [] }, env))).toBe('FT_ERR_STAGE');
    expect(code(() => clientUnmask(c, { round: 4, survivors: [], dropped: [] }, env))).toBe('FT_ERR_STAGE');
    const { clients, shareReqs } = runTo(false, 'ShareKeys');
    expect(code(() => clientMaskedInput(clients.get('a')!, { round: 4, shares: [] }, env))).toBe('FT_ERR_STAGE');
    expect(code(() => clientShareKeys(clients.get('a')!, { ...shareReqs!.get('a')!, round: 5 }, env))).toBe('FT_ERR_STALE_ROUND');
  });

  it('refuses t <= k/2 unless it trusts dropout reports, a one-share threshold, t > k, and, with an identity, a passive setup', () => {
    const setup = { round: 1, nodeId: 'a', neighbours: ['b', 'c', 'd', 'e'], threshold: 1, bits: 32, vectorLength: 4, chunkElements: 4, activeMode: false };
    const trusting = () => createSecAggClient({ nodeId: 'a', trustDropoutReports: true });
    expect(code(() => clientAdvertiseKeys(trusting(), setup, env))).toBe('FT_ERR_CONFIG');
    expect(code(() => clientAdvertiseKeys(createSecAggClient({ nodeId: 'a' }), { ...setup, threshold: 5 }, env))).toBe('FT_ERR_CONFIG');
    // By default t = 2 of 4 is refused: a coordinator lying about dropouts could collect both of a's
    // secrets from two halves of its neighbours. t = 3 is accepted.
    expect(code(() => clientAdvertiseKeys(createSecAggClient({ nodeId: 'a' }), { ...setup, threshold: 2 }, env))).toBe('FT_ERR_CONFIG');
    expect(clientAdvertiseKeys(createSecAggClient({ nodeId: 'a' }), { ...setup, threshold: 3 }, env).state.stage).toBe('ShareKeys');
    // Opted in to trusting dropout reports (honest-but-curious), t = 2 of 4 is accepted (Bell et al.'s semi-honest parameters).
    expect(clientAdvertiseKeys(trusting(), { ...setup, threshold: 2 }, env).state.stage).toBe('ShareKeys');
    // Active mode never trusts dropout reports, whatever the node's setting.
    expect(code(() => clientAdvertiseKeys(createSecAggClient({ nodeId: 'a', identity: identities.get('a'), identityKeys, trustDropoutReports: true }), { ...setup, threshold: 2, activeMode: true }, env))).toBe('FT_ERR_CONFIG');
    const withId = () => createSecAggClient({ nodeId: 'a', identity: identities.get('a'), identityKeys });
    expect(code(() => clientAdvertiseKeys(withId(), { ...setup, threshold: 3 }, env))).toBe('FT_ERR_CONFIG');
    expect(code(() => clientAdvertiseKeys(withId(), { ...setup, threshold: 2, activeMode: true }, env))).toBe('FT_ERR_CONFIG');
    expect(clientAdvertiseKeys(withId(), { ...setup, threshold: 3, activeMode: true }, env).state.stage).toBe('ShareKeys');
    expect(code(() => clientAdvertiseKeys(createSecAggClient({ nodeId: 'a' }), { ...setup, threshold: 3, nodeId: 'b' }, env))).toBe('FT_ERR_MALFORMED');
    expect(code(() => clientAdvertiseKeys(createSecAggClient({ nodeId: 'a' }), { ...setup, threshold: 3, neighbours: ['c', 'b', 'd', 'e'] }, env))).toBe('FT_ERR_MALFORMED');
  });

  it('refuses an unmask request that would reveal both shares of one node, or is incomplete', () => {
    const { clients, next } = runTo(false, 'AfterMasked');
    const req = (next as Map<string, UnmaskRequest>).get('a')!;
    expect(req.dropped).toEqual(['e']);
    const a = clients.get('a')!;
    expect(code(() => clientUnmask(a, { ...req, survivors: [...req.survivors, 'e'] }, env))).toBe('FT_ERR_MALFORMED');
    expect(code(() => clientUnmask(a, { ...req, dropped: [...req.dropped, 'b'] }, env))).toBe('FT_ERR_MALFORMED');
    expect(code(() => clientUnmask(a, { ...req, dropped: [] }, env))).toBe('FT_ERR_MALFORMED');
    expect(code(() => clientUnmask(a, { ...req, survivors: ['a', 'b'], dropped: ['c', 'd', 'e'] }, env))).toBe('FT_ERR_ROUND_ABORTED');
    const ok = clientUnmask(a, req, env);
    expect(ok.message.shares.map((s) => `${s.owner}:${s.kind}`).sort()).toEqual(['b:b', 'c:b', 'd:b', 'e:s']);
    // Having answered once, the client answers no second request (which could ask for the other share).
    expect(code(() => clientUnmask(ok.state, { ...req, survivors: req.survivors.filter((s) => s !== 'b'), dropped: ['b', 'e'] }, env))).toBe('FT_ERR_STAGE');
    expect(ok.state.selfSeed).toBeUndefined();
  });

  it('names the sender of a tampered sealed share instead of revealing from it, and reveals the rest', () => {
    const { clients, maskedReqs } = runTo(false, 'MaskedInput');
    const req = maskedReqs!.get('a')!;
    const bad = { ...req, shares: req.shares.map((s, i) => (i === 0 ? { from: s.from, ciphertext: s.ciphertext.map((b, j) => (j === 30 ? b ^ 1 : b)) } : s)) };
    const st = clientMaskedInput(clients.get('a')!, bad, env).state;
    const others = ids.filter((x) => x !== 'a');
    const answer = clientUnmask(st, { round: 4, survivors: ids, dropped: [] }, env).message;
    expect(answer.complaints).toEqual([req.shares[0]!.from]);
    expect(answer.shares.map((sh) => sh.owner).sort()).toEqual(others.filter((o) => o !== req.shares[0]!.from));
    // Sanity: the untampered request opens fine.
    const st2 = clientMaskedInput(clients.get('a')!, req, env).state;
    expect(clientUnmask(st2, { round: 4, survivors: ids, dropped: [] }, env).message.shares).toHaveLength(others.length);
  });
});

describe('active mode', () => {
  it('the coordinator refuses unsigned and forged key advertisements', () => {
    const { state: server, setups } = createSecAggServer({ round: 4, cohort: ids, threshold: 3, bits: 32, vectorLength: 8, chunkElements: 8, activeMode: true, identityKeys, rng: env.rng });
    const r = clientAdvertiseKeys(createSecAggClient({ nodeId: 'a', identity: identities.get('a'), identityKeys }), setups.get('a')!, env);
    const { signature, ...unsigned } = r.message;
    expect(signature).toBeDefined();
    expect(code(() => serverReceiveAdvertise(server, 'a', unsigned, crypto))).toBe('FT_ERR_AUTH');
    expect(code(() => serverReceiveAdvertise(server, 'b', r.message, crypto))).toBe('FT_ERR_AUTH'); // a's signature, claimed by b
    const forged = { ...r.message, signature: ed25519Sign(identities.get('b')!.secretKey, new Uint8Array(3)) };
    expect(code(() => serverReceiveAdvertise(server, 'a', forged, crypto))).toBe('FT_ERR_AUTH');
    serverReceiveAdvertise(server, 'a', r.message, crypto);
    expect(code(() => serverReceiveAdvertise(server, 'a', r.message, crypto))).toBe('FT_ERR_DUPLICATE');
    expect(code(() => serverReceiveAdvertise(server, 'zz', r.message, crypto))).toBe('FT_ERR_NOT_SELECTED');
  });

  it('a client refuses neighbour keys with a forged, missing or unenrolled signature', () => {
    const { clients, shareReqs } = runTo(true, 'ShareKeys');
    const req = shareReqs!.get('a')!;
    const a = clients.get('a')!;
    const tamper = (f: (k: ShareKeysRequest['keys'][number]) => ShareKeysRequest['keys'][number]): ShareKeysRequest => ({ ...req, keys: req.keys.map((k, i) => (i === 0 ? f(k) : k)) });
    expect(code(() => clientShareKeys(a, tamper(({ signature: _s, ...k }) => k), env))).toBe('FT_ERR_AUTH');
    expect(code(() => clientShareKeys(a, tamper((k) => ({ ...k, sPk: k.cPk.map((b) => b ^ 7) })), env))).toBe('FT_ERR_AUTH');
    const noId = { ...a, identityKeys: new Map([...identityKeys].filter(([id]) => id !== req.keys[0]!.nodeId)) };
    expect(code(() => clientShareKeys(noId, req, env))).toBe('FT_ERR_AUTH');
    expect(clientShareKeys(a, req, env).message.shares).toHaveLength(4);
  });

  it('ConsistencyCheck: fewer than t signatures or a forged one abort the client', () => {
    const { clients, next } = runTo(true, 'AfterMasked');
    const creq = (next as Map<string, ConsistencyRequest>).get('a')!;
    expect(creq.survivors).toEqual(['a', 'b', 'c', 'd']);
    const signed = new Map<string, Uint8Array>();
    const states = new Map<string, SecAggClientState>();
    for (const id of creq.survivors) {
      const r = clientConsistency(clients.get(id)!, creq, env);
      signed.set(id, r.message.signature);
      states.set(id, r.state);
    }
    const a = states.get('a')!;
    const sigs = ['b', 'c', 'd'].map((id) => ({ nodeId: id, signature: signed.get(id)! }));
    const req: UnmaskRequest = { round: 4, survivors: creq.survivors, dropped: ['e'], signatures: sigs };
    expect(code(() => clientUnmask(a, { ...req, signatures: sigs.slice(0, 2) }, env))).toBe('FT_ERR_ROUND_ABORTED');
    expect(code(() => clientUnmask(a, { ...req, signatures: undefined }, env))).toBe('FT_ERR_ROUND_ABORTED');
    expect(code(() => clientUnmask(a, { ...req, signatures: [...sigs.slice(0, 2), { nodeId: 'd', signature: signed.get('b')! }] }, env))).toBe('FT_ERR_AUTH');
    expect(code(() => clientUnmask(a, { ...req, survivors: ['a', 'b', 'c'], dropped: ['d', 'e'] }, env))).toBe('FT_ERR_MALFORMED');
    expect(clientUnmask(a, req, env).message.shares).toHaveLength(4);
  });
});

describe('coordinator refusals', () => {
  it('refuses wrong rounds, non-members, duplicate or misshapen chunks', () => {
    const { server, clients, maskedReqs } = runTo(false, 'MaskedInput');
    const st = clientMaskedInput(clients.get('a')!, maskedReqs!.get('a')!, env).state;
    const chunk = clientMaskChunk(st, 0, new Uint32Array(8), env);
    expect(code(() => serverReceiveMaskedChunk(server, 'a', { ...chunk, round: 3 }))).toBe('FT_ERR_STALE_ROUND');
    expect(code(() => serverReceiveMaskedChunk(server, 'zz', chunk))).toBe('FT_ERR_NOT_SELECTED');
    expect(code(() => serverReceiveMaskedChunk(server, 'a', { ...chunk, data: new Uint32Array(7) }))).toBe('FT_ERR_SHAPE');
    expect(code(() => serverReceiveMaskedChunk(server, 'a', { ...chunk, chunkIndex: 1 }))).toBe('FT_ERR_SHAPE');
    expect(code(() => serverReceiveMaskedChunk(server, 'a', { ...chunk, data: new Float32Array(8) as unknown as Uint32Array }))).toBe('FT_ERR_MALFORMED');
    serverReceiveMaskedChunk(server, 'a', chunk);
    expect(code(() => serverReceiveMaskedChunk(server, 'a', chunk))).toBe('FT_ERR_DUPLICATE');
    expect(code(() => serverReceiveAdvertise(server, 'a', { round: 4, cPk: new Uint8Array(32), sPk: new Uint8Array(32) }, crypto))).toBe('FT_ERR_STAGE');
  });
});

describe('masked vector uniformity', () => {
  it('bytes of one masked all-zero vector pass a chi-square test (255 dof, critical value 330.52 at alpha = 0.001)', () => {
    const m = 65_536;
    const { clients, maskedReqs } = runTo(false, 'MaskedInput', m);
    const st = clientMaskedInput(clients.get('c')!, maskedReqs!.get('c')!, env).state;
    const chunks = clientMaskVector(st, new Uint32Array(m), env);
    expect(chunks).toHaveLength(8);
    const masked = new Uint32Array(m);
    for (const c of chunks) masked.set(c.data, c.chunkIndex * 8192);
    const bytes = new Uint8Array(masked.buffer);
    const counts = new Float64Array(256);
    for (const b of bytes) counts[b]!++;
    const expected = bytes.length / 256;
    let chi2 = 0;
    for (const c of counts) chi2 += (c - expected) ** 2 / expected;
    expect(chi2).toBeLessThan(330.52);
    expect(chi2).toBeGreaterThan(190); // lower 0.1% quantile ~ 190.8 (Wilson-Hilferty): not suspiciously uniform either
  });
});

