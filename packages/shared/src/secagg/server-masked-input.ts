// Coordinator, stage MaskedInput (Bonawitz et al. 2017 §4 round 2): add each masked chunk into the
// one running sum as it arrives (memory O(model)), then close the stage as U3.
import { FedtuneError } from '../errors/catalogue.js';
import { type ConsistencyRequest, MaskedInputChunkMsg, type UnmaskRequest } from './messages.js';
import { type SecAggServerState, type StageOutcome, abortRound, admit, shortOfNeighbours } from './server-state.js';
import { validateMessage } from './validate.js';

/**
 * Adds one masked chunk into the running sum, in place.
 * @throws FedtuneError FT_ERR_MALFORMED (schema), FT_ERR_STAGE, FT_ERR_STALE_ROUND,
 * FT_ERR_NOT_SELECTED (not in U2), FT_ERR_SHAPE (index or length wrong), FT_ERR_DUPLICATE.
 */
export function serverReceiveMaskedChunk(state: SecAggServerState, from: string, message: MaskedInputChunkMsg): { state: SecAggServerState; complete: boolean } {
  validateMessage(MaskedInputChunkMsg, message, 'masked-input chunk');
  admit(state, 'MaskedInput', from, message.round, state.u2);
  const chunks = Math.ceil(state.vectorLength / state.chunkElements);
  const { chunkIndex, data } = message;
  if (chunkIndex >= chunks) throw new FedtuneError('FT_ERR_SHAPE', `chunk ${chunkIndex} of ${chunks}`);
  const start = chunkIndex * state.chunkElements;
  const len = Math.min(state.chunkElements, state.vectorLength - start);
  if (data.length !== len) throw new FedtuneError('FT_ERR_SHAPE', `chunk ${chunkIndex} has ${data.length} elements, expected ${len}`);
  let entry = state.chunksFrom.get(from);
  if (entry === undefined) {
    entry = { flags: new Uint8Array(chunks), count: 0 };
    state.chunksFrom.set(from, entry);
  }
  if (entry.flags[chunkIndex] === 1) throw new FedtuneError('FT_ERR_DUPLICATE', `chunk ${chunkIndex} from ${from}`);
  // mod 2^32 in SIMD lanes; the reduction mod 2^bits happens at unmask / decode.
  state.accumulator.add(data, start);
  entry.flags[chunkIndex] = 1;
  entry.count++;
  return { state, complete: entry.count === chunks };
}

/**
 * Closes MaskedInput: U3 = the nodes whose every chunk arrived. A node that sent only part of its
 * vector cannot be removed from the running sum (its self mask is in there and its mask key
 * must not also be revealed), so it aborts the round. Also aborts when a node whose masks are in
 * the sum has fewer than t neighbours in U3 to reveal its shares. In active mode the next
 * message asks U3 to sign the survivor set; otherwise it is the unmask request.
 * @throws FedtuneError FT_ERR_STAGE out of order.
 */
export function serverFinishMaskedInput(
  state: SecAggServerState,
): { state: SecAggServerState; outcome: StageOutcome<ConsistencyRequest> | StageOutcome<UnmaskRequest> } {
  if (state.stage !== 'MaskedInput') throw new FedtuneError('FT_ERR_STAGE', `expected MaskedInput, got ${state.stage}`);
  const chunks = Math.ceil(state.vectorLength / state.chunkElements);
  const u3 = new Set<string>();
  for (const [u, e] of state.chunksFrom) {
    if (e.count === chunks) u3.add(u);
    else return { state, outcome: abortRound(state, `${u} sent ${e.count} of ${chunks} masked chunks`) };
  }
  state.u3 = u3;
  const check = checkRecoverable(state, u3);
  if (check !== undefined) return { state, outcome: abortRound(state, check) };
  const survivors = [...u3].sort();
  if (state.activeMode) {
    state.stage = 'ConsistencyCheck';
    return { state, outcome: { ok: true, messages: new Map([...u3].map((u) => [u, { round: state.round, survivors }])) } };
  }
  state.responders = u3;
  state.stage = 'Unmask';
  return { state, outcome: { ok: true, messages: unmaskRequests(state, u3, survivors) } };
}

/** Why the sum could not be unmasked with `responders` answering, or undefined when it can. */
export function checkRecoverable(state: SecAggServerState, responders: ReadonlySet<string>): string | undefined {
  const u3 = state.u3!;
  if (u3.size < state.threshold + 1) return `${u3.size} nodes sent masked input, threshold ${state.threshold}`;
  const needed = [...u3];
  for (const d of state.u2!) if (!u3.has(d) && state.graph.get(d)!.some((v) => u3.has(v))) needed.push(d);
  const short = shortOfNeighbours(state, needed, responders);
  return short ? `${short.node} has ${short.live} neighbours left to reveal its shares, threshold ${state.threshold}` : undefined;
}

/** The unmask request of every responder: survivors U3 and its neighbours in U2 \ U3. */
export function unmaskRequests(state: SecAggServerState, responders: Iterable<string>, survivors: string[], signatures?: Map<string, Uint8Array>): Map<string, UnmaskRequest> {
  const u3 = state.u3!;
  const out = new Map<string, UnmaskRequest>();
  for (const u of responders) {
    const nb = state.graph.get(u)!;
    const req: UnmaskRequest = { round: state.round, survivors, dropped: nb.filter((v) => state.u2!.has(v) && !u3.has(v)) };
    if (signatures !== undefined) req.signatures = nb.filter((v) => signatures.has(v)).map((v) => ({ nodeId: v, signature: signatures.get(v)! }));
    out.set(u, req);
  }
  return out;
}
