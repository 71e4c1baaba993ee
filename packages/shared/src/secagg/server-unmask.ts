// Coordinator, stage Unmask (Bonawitz et al. 2017 §4 round 4): collect revealed shares, rebuild b_u
// of every survivor and s_u^SK of every dropped node with masks in the sum, and plan mask removal.
import type { CryptoProvider } from '../crypto/provider.js';
import { FedtuneError } from '../errors/catalogue.js';
import { x25519Many, x25519PublicKey } from './keys.js';
import { type SecAggAbort, UnmaskMsg } from './messages.js';
import { deriveMaskKey } from './prg.js';
import { type SecAggServerState, abortRound, admit } from './server-state.js';
import { shamirCombine } from './shamir.js';
import { seedCommitment, shareCommitment } from './share-commitment.js';
import { type UnmaskPlan, type UnmaskTerm, unmaskRange } from './unmask.js';
import { validateMessage } from './validate.js';

/**
 * Records one responder's revealed shares. Each must be of a neighbour that shared keys, of kind
 * 'b' for a survivor and 's' for a dropped node, at the x coordinate the responder was given, and
 * must open the commitment its owner made at ShareKeys: a tampered share is refused with its sender
 * named, and none of that sender's shares is used.
 * @throws FedtuneError FT_ERR_MALFORMED (schema, or a share that breaks those rules),
 * FT_ERR_AUTH (a share that does not match its commitment), FT_ERR_STAGE, FT_ERR_STALE_ROUND,
 * FT_ERR_NOT_SELECTED (not asked), FT_ERR_DUPLICATE.
 */
export function serverReceiveUnmask(state: SecAggServerState, from: string, message: UnmaskMsg, crypto: CryptoProvider): { state: SecAggServerState } {
  validateMessage(UnmaskMsg, message, 'unmask');
  admit(state, 'Unmask', from, message.round, state.responders);
  if (state.unmaskFrom.has(from)) throw new FedtuneError('FT_ERR_DUPLICATE', `${from} already answered`);
  const u2 = state.u2!;
  const u3 = state.u3!;
  const owners = new Set<string>();
  for (const s of message.shares) {
    const nb = state.graph.get(s.owner);
    if (nb === undefined || !u2.has(s.owner) || !nb.includes(from) || owners.has(s.owner)) {
      throw new FedtuneError('FT_ERR_MALFORMED', `${from} revealed an unexpected share of ${s.owner}`);
    }
    if ((s.kind === 'b') !== u3.has(s.owner)) throw new FedtuneError('FT_ERR_MALFORMED', `${from} revealed the wrong kind of share of ${s.owner}`);
    if (s.x !== 1 + [...nb].sort().indexOf(from)) throw new FedtuneError('FT_ERR_MALFORMED', `${from} revealed a share of ${s.owner} at the wrong x`);
    const dealt = state.sharesFrom.get(s.owner)!.find((d) => d.to === from);
    const committed = dealt === undefined ? undefined : s.kind === 'b' ? dealt.commitB : dealt.commitS;
    if (committed === undefined || !crypto.timingSafeEqual(shareCommitment(crypto, state.round, s.owner, s.x, s.kind, s.nonce, s.y), committed)) {
      throw new FedtuneError('FT_ERR_AUTH', `${from} revealed a share of ${s.owner} that does not match its commitment`);
    }
    owners.add(s.owner);
  }
  for (const v of message.complaints ?? []) {
    if (!u2.has(v) || !state.graph.get(v)!.includes(from) || owners.has(v)) throw new FedtuneError('FT_ERR_MALFORMED', `${from} complains about ${v}, which dealt it no share or whose share it revealed`);
  }
  state.unmaskFrom.add(from);
  for (const v of message.complaints ?? []) {
    let set = state.complaints.get(v);
    if (set === undefined) state.complaints.set(v, (set = new Set()));
    set.add(from);
  }
  for (const s of message.shares) {
    let list = state.revealed.get(s.owner);
    if (list === undefined) state.revealed.set(s.owner, (list = []));
    list.push(s);
  }
  return { state };
}

/**
 * Closes Unmask: rebuilds the secrets and returns the plan of masks to remove. Aborts when some
 * secret has fewer than t shares or a rebuilt mask key does not match its advertised public key.
 * @throws FedtuneError FT_ERR_STAGE out of order.
 */
export function serverFinishUnmask(state: SecAggServerState, crypto: CryptoProvider): { state: SecAggServerState; outcome: { ok: true; plan: UnmaskPlan } | { ok: false; abort: SecAggAbort } } {
  if (state.stage !== 'Unmask') throw new FedtuneError('FT_ERR_STAGE', `expected Unmask, got ${state.stage}`);
  const u2 = state.u2!;
  const u3 = state.u3!;
  const terms: UnmaskTerm[] = [];
  const need = (owner: string) => {
    const list = state.revealed.get(owner) ?? [];
    return list.length >= state.threshold ? list.map((s) => ({ x: s.x, y: s.y })) : undefined;
  };
  // Shares that interpolate to no 32-byte secret (forged by a node) abort the round, never the coordinator.
  const rebuild = (shares: { x: number; y: Uint8Array }[]): Uint8Array | undefined => {
    try {
      return shamirCombine(shares, state.threshold);
    } catch {
      return undefined;
    }
  };
  for (const u of [...u3].sort()) {
    const shares = need(u);
    if (shares === undefined) return { state, outcome: shortOfShares(state, u, 'self mask') };
    const seed = rebuild(shares);
    // Every share used opened its commitment, so a seed that is no 32-byte value or that misses
    // its commitment means u dealt inconsistent shares.
    if (seed === undefined || !crypto.timingSafeEqual(seedCommitment(crypto, state.round, u, seed), state.seedCommitments.get(u)!)) {
      state.blamed.add(u);
      return { state, outcome: abortRound(state, `the self-mask seed rebuilt for ${u} does not match its commitment: ${u} dealt inconsistent shares`) };
    }
    terms.push({ key: deriveMaskKey(crypto, seed, { round: state.round, a: u }), sign: -1 });
  }
  for (const d of [...u2].sort()) {
    if (u3.has(d)) continue;
    const survivorsNb = state.graph.get(d)!.filter((v) => u3.has(v));
    if (survivorsNb.length === 0) continue;
    const shares = need(d);
    if (shares === undefined) return { state, outcome: shortOfShares(state, d, 'mask key') };
    const sk = rebuild(shares);
    const pk = state.keys.get(d)!.sPk;
    if (sk === undefined || !crypto.timingSafeEqual(x25519PublicKey(sk), pk)) return { state, outcome: abortRound(state, `rebuilt mask key of ${d} does not match its public key`) };
    const secrets = x25519Many(crypto, sk, survivorsNb.map((v) => state.keys.get(v)!.sPk));
    survivorsNb.forEach((v, i) => {
      // v added sign(v, d) * PRG(s_vd); remove it.
      terms.push({ key: deriveMaskKey(crypto, secrets[i]!, { round: state.round, a: v, b: d }), sign: v < d ? -1 : 1 });
    });
  }
  const plan: UnmaskPlan = { bits: state.bits, vectorLength: state.vectorLength, chunkElements: state.chunkElements, terms, survivors: [...u3].sort() };
  return { state, outcome: { ok: true, plan } };
}

/**
 * Too few shares of `owner`'s secret: when its neighbours could not open the shares it sealed for
 * them, the abort is its doing (it advertised keys it does not hold, or sealed garbage) and it is
 * blamed; otherwise responders went missing and nobody is.
 */
function shortOfShares(state: SecAggServerState, owner: string, what: string): { ok: false; abort: SecAggAbort } {
  const complainers = state.complaints.get(owner)?.size ?? 0;
  if (complainers > 0) {
    state.blamed.add(owner);
    return abortRound(state, `too few shares to rebuild the ${what} of ${owner}: ${complainers} neighbours could not open the shares it sealed for them`);
  }
  return abortRound(state, `too few shares to rebuild the ${what} of ${owner}`);
}

/**
 * Removes every mask from the running sum on this thread (see unmask.ts for chunk-parallel
 * removal) and ends the round. The state's `sum` then holds the plain ring sum over U3.
 * @throws FedtuneError FT_ERR_STAGE unless Unmask was just closed.
 */
export function serverUnmaskAll(state: SecAggServerState, plan: UnmaskPlan, crypto: CryptoProvider): { state: SecAggServerState; sum: Uint32Array } {
  if (state.stage !== 'Unmask') throw new FedtuneError('FT_ERR_STAGE', `expected Unmask, got ${state.stage}`);
  unmaskRange(crypto, plan, state.sum, 0);
  state.stage = 'Done';
  return { state, sum: state.sum };
}
