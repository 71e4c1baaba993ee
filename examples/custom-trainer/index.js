// A fedtune edge node with its own trainer (regression-trainer.js) around the user's own model:
// here y = 3 x0 - 2 x1 + 0.5 plus noise, learned by a small named-layer network.
//
//   FEDTUNE_URL=http://coordinator:8750 FEDTUNE_TOKEN=... node index.js [rows]
import * as tf from '@tensorflow/tfjs';
import { FederatedClient } from '@fedtune/client';
import { RegressionTrainer } from './regression-trainer.js';

const rows = Number(process.argv[2] ?? 256);
const { FEDTUNE_URL: url, FEDTUNE_TOKEN: token } = process.env;
if (url === undefined || token === undefined) {
  console.error('usage: FEDTUNE_URL=... FEDTUNE_TOKEN=... node index.js [rows]');
  process.exit(2);
}

// This node's private data (here generated; in practice, read from local storage).
const x = tf.randomUniform([rows, 2], -1, 1);
const y = tf.tidy(() => x.matMul(tf.tensor2d([[3], [-2]])).add(0.5).add(tf.randomNormal([rows, 1], 0, 0.05)));

// Layer names fix the weight names, which must agree across nodes.
const model = tf.sequential({
  layers: [tf.layers.dense({ name: 'hidden', units: 8, activation: 'tanh', inputShape: [2] }), tf.layers.dense({ name: 'out', units: 1 })],
});

const client = new FederatedClient({ url, token, trainer: new RegressionTrainer({ model, x, y }) });
client.on('evaluated', ({ round, loss }) => console.log(`round ${round}: validation mse ${loss.toFixed(4)}`));
await client.start();
const { reason } = await client.finished;
console.log(`training finished: ${reason}`);
await client.close();
