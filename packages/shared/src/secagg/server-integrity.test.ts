// The coordinator's integrity checks in the pure SecAgg core (issue 10, item 5), each against the
// attack it stops: keys of small order or reused at AdvertiseKeys, a revealed share that does not
// open its owner's commitment, a node whose sealed shares its neighbours cannot open, and an owner
// whose rebuilt seed does not match its commitment. Each test shows what the attack does without
// the check (a wrong secret), then that the check catches it.
import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider as crypto } from '../crypto/node-crypto.js';
import { seededRandom } from '../crypto/random.js';
import { clientAdvertiseKeys } from './client-advertise.js';
import { clientMaskChunk, clientMaskedInput } from './client-masked-input.js';
import { clientShareKeys } from './client-share.js';
import { type SecAggClientState, createSecAggClient } from './client-state.js';
import { clientUnmask } from './client-unmask.js';
import type { UnmaskMsg, UnmaskRequest } from './messages.js';
import { serverFinishAdvertise, serverReceiveAdvertise } from './server-advertise.js';
import { serverFinishMaskedInput, serverReceiveMaskedChunk } from './server-masked-input.js';
import { serverFinishShareKeys, serverReceiveShareKeys } from './server-share.js';
import { type SecAggServerState, createSecAggServer } from './server-state.js';
import { serverFinishUnmask, serverReceiveUnmask, serverUnmaskAll } from './server-unmask.js';
import { shamirCombine } from './shamir.js';
import { thrownCode } from './test-helpers.js';

const env = { crypto, rng: seededRandom(crypto, 'integrity') };
const ids = ['a', 'b', 'c', 'd', 'e'];
const inputs = new Map(ids.map((id, i) => [id, Uint32Array.from({ length: 8 }, (_, j) => (i + 1) * 1000 + j)]));

const code = thrownCode;

/** A 5-node all-to-all round (t = 3) run to the unmask requests; every input arrives. */
function toUnmask(tamperShares?: (from: string, msg: ReturnType<typeof clientShareKeys>['message']) => void) {
  const { state: server, setups } = createSecAggServer({ round: 9, cohort: ids, threshold: 3, bits: 32, vectorLength: 8, chunkElements: 8, activeMode: false, rng: env.rng });
  const clients = new Map<string, SecAggClientState>();
  for (const id of ids) {
    const r = clientAdvertiseKeys(createSecAggClient({ nodeId: id }), setups.get(id)!, env);
    clients.set(id, r.state);
    serverReceiveAdvertise(server, id, r.message, crypto);
  }
  const adv = serverFinishAdvertise(server).outcome;
  if (!adv.ok) throw new Error('abort');
  for (const [id, req] of adv.messages) {
    const r = clientShareKeys(clients.get(id)!, req, env);
    tamperShares?.(id, r.message);
    clients.set(id, r.state);
    serverReceiveShareKeys(server, id, r.message);
  }
  const shr = serverFinishShareKeys(server).outcome;
  if (!shr.ok) throw new Error('abort');
  for (const [id, req] of shr.messages) {
    const st = clientMaskedInput(clients.get(id)!, req, env).state;
    clients.set(id, st);
    serverReceiveMaskedChunk(server, id, clientMaskChunk(st, 0, inputs.get(id)!, env));
  }
  const msk = serverFinishMaskedInput(server).outcome;
  if (!msk.ok) throw new Error('abort');
  const answers = new Map<string, UnmaskMsg>();
  for (const [id, req] of msk.messages as Map<string, UnmaskRequest>) answers.set(id, clientUnmask(clients.get(id)!, req, env).message);
  return { server, answers };
}

function expectedSum(): Uint32Array {
  const out = new Uint32Array(8);
  for (const v of inputs.values()) for (let j = 0; j < 8; j++) out[j] = (out[j]! + v[j]!) >>> 0;
  return out;
}

function finishAndUnmask(server: SecAggServerState) {
  const fin = serverFinishUnmask(server, crypto).outcome;
  if (!fin.ok) return { ok: false as const, reason: fin.abort.reason };
  return { ok: true as const, sum: serverUnmaskAll(server, fin.plan, crypto).sum };
}

describe('coordinator integrity checks', () => {
  it('refuses public keys of small order (all zeros, u = 1) and a key another node already advertised', () => {
    const { state: server, setups } = createSecAggServer({ round: 9, cohort: ids, threshold: 3, bits: 32, vectorLength: 8, chunkElements: 8, activeMode: false, rng: env.rng });
    const honest = clientAdvertiseKeys(createSecAggClient({ nodeId: 'a' }), setups.get('a')!, env).message;
    serverReceiveAdvertise(server, 'a', honest, crypto);
    const one = new Uint8Array(32);
    one[0] = 1;
    const cases: [string, Uint8Array, Uint8Array][] = [
      ['all-zero keys', new Uint8Array(32), new Uint8Array(32)],
      ['u = 1', one, honest.sPk],
      ["a's cPk reused", honest.cPk, clientAdvertiseKeys(createSecAggClient({ nodeId: 'b' }), setups.get('b')!, env).message.sPk],
    ];
    for (const [what, cPk, sPk] of cases) expect(code(() => serverReceiveAdvertise(server, 'b', { round: 9, cPk, sPk }, crypto)), what).toBe('FT_ERR_MALFORMED');
    // Nothing was recorded for b: it can still advertise proper keys.
    serverReceiveAdvertise(server, 'b', clientAdvertiseKeys(createSecAggClient({ nodeId: 'b' }), setups.get('b')!, env).message, crypto);
    expect(server.keys.size).toBe(2);
  });

  it('a revealed share with one bit flipped: without the check the rebuilt seed is wrong; with it the sender is refused and the rest rebuild the exact sum', () => {
    const { server, answers } = toUnmask();
    const fromB = answers.get('b')!;
    const flipped = { ...fromB, shares: fromB.shares.map((s, i) => (i === 0 ? { ...s, y: s.y.map((v, j) => (j === 5 ? v ^ 0x10 : v)) } : s)) };
    // The attack, had the share been used: three shares including the flipped one rebuild another secret.
    const owner = flipped.shares[0]!.owner;
    const honestShares = [...answers.values()].flatMap((m) => m.shares.filter((s) => s.owner === owner)).slice(0, 3);
    const poisoned = [flipped.shares[0]!, ...honestShares.filter((s) => s.x !== flipped.shares[0]!.x)].slice(0, 3);
    expect(Buffer.from(shamirCombine(poisoned, 3)).equals(Buffer.from(shamirCombine(honestShares, 3)))).toBe(false);
    // The check: b is refused, naming it; the others' shares suffice.
    expect(code(() => serverReceiveUnmask(server, 'b', flipped, crypto))).toBe('FT_ERR_AUTH');
    for (const [id, msg] of answers) if (id !== 'b') serverReceiveUnmask(server, id, msg, crypto);
    const r = finishAndUnmask(server);
    expect(r.ok && [...r.sum]).toEqual([...expectedSum()]);
  });

  it("a node whose sealed shares its neighbours cannot open is blamed when its secret cannot be rebuilt", () => {
    // e seals garbage for everyone (as if it advertised a key it does not hold).
    const { server, answers } = toUnmask((from, msg) => {
      if (from === 'e') for (const s of msg.shares) s.ciphertext = s.ciphertext.map((b) => b ^ 0xff);
    });
    for (const msg of answers.values()) {
      if (msg.shares.some((s) => s.owner === 'e')) throw new Error('a share of e was opened');
    }
    // A complaint about a node that dealt the complainer nothing is itself refused, changing nothing.
    expect(code(() => serverReceiveUnmask(server, 'a', { ...answers.get('a')!, complaints: ['zz'] }, crypto))).toBe('FT_ERR_MALFORMED');
    for (const [id, msg] of answers) serverReceiveUnmask(server, id, msg, crypto);
    const r = finishAndUnmask(server);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/self mask of e: 4 neighbours could not open the shares it sealed/);
    expect([...server.blamed]).toEqual(['e']);
  });

  it('an owner whose rebuilt seed does not match its commitment is blamed', () => {
    const { server, answers } = toUnmask((from, msg) => {
      if (from === 'c') msg.seedCommitment = msg.seedCommitment.map((b) => b ^ 1);
    });
    for (const [id, msg] of answers) serverReceiveUnmask(server, id, msg, crypto);
    const r = finishAndUnmask(server);
    expect(!r.ok && r.reason).toMatch(/seed rebuilt for c does not match its commitment/);
    expect([...server.blamed]).toEqual(['c']);
  });
});
