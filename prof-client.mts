// Ad-hoc profile target: a node's masking at m = 1M, k = 34 (35 masks), repeated.
import { clientMaskVector, createSecAggClient, clientAdvertiseKeys, clientShareKeys, clientMaskedInput, createSecAggServer, x25519KeyPair, sealBox, shareBoxKey, encodeSharePlaintext, nodeCryptoProvider as crypto, seededRandom } from '@fedtune/shared';
const rng = seededRandom(crypto, 'prof');
const env = { crypto, rng };
const n = 100, k = 34, m = 1 << 20;
const ids = Array.from({ length: n }, (_, i) => `n${i}`);
const { setups } = createSecAggServer({ round: 1, cohort: ids, k, threshold: 18, bits: 32, vectorLength: m, activeMode: false, rng });
const me = ids[0]!; const setup = setups.get(me)!; const nb = setup.neighbours;
const peers = new Map(nb.map((v) => [v, { c: x25519KeyPair(rng), s: x25519KeyPair(rng) }]));
const st = clientAdvertiseKeys(createSecAggClient({ nodeId: me }), setup, env);
const sh = clientShareKeys(st.state, { round: 1, keys: nb.map((v) => ({ nodeId: v, cPk: peers.get(v)!.c.publicKey, sPk: peers.get(v)!.s.publicKey })) }, env);
const incoming = nb.map((v) => ({ from: v, ciphertext: sealBox(shareBoxKey(crypto, peers.get(v)!.c.secretKey, st.message.cPk, 1, v, me), encodeSharePlaintext({ from: v, to: me, round: 1, x: 1, bShare: rng.bytes(32), sShare: rng.bytes(32) }), rng) }));
const prepared = clientMaskedInput(sh.state, { round: 1, shares: incoming }, env).state;
const encoded = new Uint32Array(m);
const reps = Number(process.argv[2] ?? 40);
let best = Infinity;
for (let i = 0; i < reps; i++) { const t = performance.now(); clientMaskVector(prepared, encoded, env); best = Math.min(best, performance.now() - t); }
console.log(`best clientMaskVector ${best.toFixed(2)} ms over ${reps}`);
