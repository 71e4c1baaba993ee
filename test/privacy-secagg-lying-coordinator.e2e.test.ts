// Issue 15, item 5: a coordinator that lies about dropouts learns nothing about one node.
//
// The attack (Bonawitz et al. 2017 §6: why the active model needs more than t colluders): every
// node sends its masked input honestly; then the coordinator tells one half of the target u's
// honest neighbours "u survived" (they reveal their shares of u's self-mask seed b_u) and the
// other half "u dropped" (they reveal their shares of u's mask key s_u), while the colluding
// nodes the configuration allows for (ceil(corruption rate x n) of u's neighbours, who open their
// own share boxes) hand over both. With t shares of each kind it rebuilds b_u and s_u, strips the
// self mask and every pairwise mask from u's masked input, and reads u's input exactly.
//
// Every node runs the real client stage functions (the code FederatedClient's SecAggParticipant
// calls); the degree k and threshold t are the service's own (chooseRoundGraph on the config the
// coordinator resolves), at n = 40, 80 and 200 with 30% dropout (the review's setting), and at
// n = 80 with the default 10% (corruption 0.05 throughout).
// On the old defaults, which are now the explicit opt-in secagg.trustCoordinatorDropouts (t
// just above the colluders, e.g. k = 66, t = 24 at n = 80 and 30% dropout), the attack recovers
// the input bit for bit in every case; on the new defaults (t > k/2, and 2t - k above the
// colluders) neither secret can be rebuilt. Budget: one round per case; the outcome is exact.
import { describe, expect, it } from 'vitest';
import {
  clientAdvertiseKeys,
  clientMaskChunk,
  clientMaskedInput,
  clientShareKeys,
  clientUnmask,
  createSecAggClient,
  createSecAggServer,
  deriveMaskKey,
  nodeCryptoProvider as crypto,
  seededRandom,
  serverFinishAdvertise,
  serverFinishShareKeys,
  serverReceiveAdvertise,
  serverReceiveMaskedChunk,
  serverReceiveShareKeys,
  shamirCombine,
  unmaskRange,
  x25519Many,
  x25519PublicKey,
  type RevealedShare,
  type SecAggClientState,
  type Share,
} from '@fedtune/shared';
import { chooseRoundGraph, resolveConfig } from '@fedtune/coordinator';

const M = 8;
const ROUND = 3;
const id = (i: number) => `node-${String(i).padStart(3, '0')}`;

interface Outcome {
  k: number;
  t: number;
  bShares: number;
  sShares: number;
  recovered: boolean;
}

/** Runs one round to Unmask with `n` honest-until-unmask nodes and the lying coordinator; attacks node 0. */
function attack(n: number, dropoutRate: number, trust: boolean): Outcome {
  const config = resolveConfig({ secagg: { dropoutRate, trustCoordinatorDropouts: trust } }).secagg!;
  const { k, t } = chooseRoundGraph(config, n);
  const rng = seededRandom(crypto, `lying/${n}/${dropoutRate}/${trust}`);
  const env = { crypto, rng };
  const ids = Array.from({ length: n }, (_, i) => id(i));
  const inputs = new Map(ids.map((u) => [u, Uint32Array.from({ length: M }, () => rng.uint32())]));
  const { state: server, setups } = createSecAggServer({ round: ROUND, cohort: ids, k, threshold: t, bits: 32, vectorLength: M, chunkElements: M, activeMode: false, trustDropoutReports: trust, rng });
  const clients = new Map<string, SecAggClientState>();
  for (const u of ids) {
    const r = clientAdvertiseKeys(createSecAggClient({ nodeId: u, trustDropoutReports: trust }), setups.get(u)!, env);
    clients.set(u, r.state);
    serverReceiveAdvertise(server, u, r.message, crypto);
  }
  const adv = serverFinishAdvertise(server).outcome;
  if (!adv.ok) throw new Error(adv.abort.reason);
  for (const [u, req] of adv.messages) {
    const r = clientShareKeys(clients.get(u)!, req, env);
    clients.set(u, r.state);
    serverReceiveShareKeys(server, u, r.message);
  }
  const shr = serverFinishShareKeys(server).outcome;
  if (!shr.ok) throw new Error(shr.abort.reason);
  const masked = new Map<string, Uint32Array>();
  for (const [u, req] of shr.messages) {
    const st = clientMaskedInput(clients.get(u)!, req, env).state;
    clients.set(u, st);
    const msg = clientMaskChunk(st, 0, inputs.get(u)!, env);
    masked.set(u, msg.data);
    serverReceiveMaskedChunk(server, u, msg);
  }
  // The lie. Target u; its neighbours split into colluders (both answers), half told "survived", half "dropped".
  const u = ids[0]!;
  const neighbours = server.graph.get(u)!;
  const colluders = new Set(neighbours.slice(0, Math.ceil(config.corruptionRate * n)));
  const honest = neighbours.filter((v) => !colluders.has(v));
  const toldSurvived = new Set(honest.slice(0, Math.ceil(honest.length / 2)));
  const everyone = [...ids].sort();
  const revealed: RevealedShare[] = [];
  for (const v of neighbours) {
    const survivedReq = { round: ROUND, survivors: everyone, dropped: [] as string[] };
    const droppedReq = { round: ROUND, survivors: everyone.filter((w) => w !== u), dropped: [u] };
    // Honest nodes answer exactly one request (the client refuses a second); a colluder's state
    // is its own to replay, so it answers both.
    const requests = colluders.has(v) ? [survivedReq, droppedReq] : [toldSurvived.has(v) ? survivedReq : droppedReq];
    for (const req of requests) revealed.push(...clientUnmask(clients.get(v)!, req, env).message.shares.filter((s) => s.owner === u));
  }
  const kinds = (kind: 'b' | 's'): Share[] => revealed.filter((s) => s.kind === kind).map((s) => ({ x: s.x, y: s.y }));
  const bShares = kinds('b');
  const sShares = kinds('s');
  let recovered = false;
  if (bShares.length >= t && sShares.length >= t) {
    const seed = shamirCombine(bShares, t);
    const sk = shamirCombine(sShares, t);
    const sPk = server.keys.get(u)!.sPk;
    if (Buffer.from(x25519PublicKey(sk)).equals(Buffer.from(sPk))) {
      // u added +PRG(b_u) and sign(u, v) PRG(s_uv) for each neighbour v: remove them all.
      const secrets = x25519Many(crypto, sk, neighbours.map((v) => server.keys.get(v)!.sPk));
      const terms = [
        { key: deriveMaskKey(crypto, seed, { round: ROUND, a: u }), sign: -1 as const },
        ...neighbours.map((v, i) => ({ key: deriveMaskKey(crypto, secrets[i]!, { round: ROUND, a: u, b: v }), sign: (u < v ? -1 : 1) as 1 | -1 })),
      ];
      const x = unmaskRange(crypto, { bits: 32, vectorLength: M, chunkElements: M, terms, survivors: [u] }, masked.get(u)!.slice(), 0);
      recovered = Buffer.from(x.buffer).equals(Buffer.from(inputs.get(u)!.buffer));
    }
  }
  return { k, t, bShares: bShares.length, sShares: sShares.length, recovered };
}

describe('a coordinator that lies about dropouts (issue 15, item 5)', () => {
  for (const [n, dropoutRate] of [[40, 0.3], [80, 0.3], [200, 0.3], [80, 0.1]] as const) {
    it(`n = ${n}, dropout ${dropoutRate}: the lie recovers the input on the old defaults and nothing on the new ones`, () => {
      const old = attack(n, dropoutRate, true);
      expect(old.recovered, `old defaults k = ${old.k}, t = ${old.t}: ${old.bShares} b-shares, ${old.sShares} s-shares`).toBe(true);
      const now = attack(n, dropoutRate, false);
      expect(2 * now.t).toBeGreaterThan(now.k);
      expect(Math.min(now.bShares, now.sShares), `new defaults k = ${now.k}, t = ${now.t}`).toBeLessThan(now.t);
      expect(now.recovered).toBe(false);
    }, 120_000);
  }

  it('the old threshold is refused by a node that did not opt in: the coordinator cannot impose it', () => {
    const config = resolveConfig({ secagg: { dropoutRate: 0.3, trustCoordinatorDropouts: true } }).secagg!;
    const { k, t } = chooseRoundGraph(config, 80);
    expect([k, t]).toEqual([66, 24]); // the review's parameters
    const ids = Array.from({ length: 80 }, (_, i) => id(i));
    const rng = seededRandom(crypto, 'refuse-old');
    const { setups } = createSecAggServer({ round: 1, cohort: ids, k, threshold: t, bits: 32, vectorLength: 4, chunkElements: 4, activeMode: false, trustDropoutReports: true, rng });
    expect(() => clientAdvertiseKeys(createSecAggClient({ nodeId: ids[0]! }), setups.get(ids[0]!)!, { crypto, rng })).toThrow(expect.objectContaining({ code: 'FT_ERR_CONFIG' }));
  });
});
