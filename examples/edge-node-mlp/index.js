// A fedtune edge node in plain JavaScript: an MLP on a local CSV file (numeric feature columns
// and a `label` column), federated with a coordinator. Only clipped (and, if the coordinator asks,
// noised and masked) weight deltas leave this machine.
//
//   FEDTUNE_URL=http://coordinator:8750 FEDTUNE_TOKEN=... node index.js data.csv [classes]
import { FederatedClient, LayersModelTrainer, activeBackend, buildMlp, loadTabular, splitValidation } from '@fedtune/client';

const [path, classes = '10'] = process.argv.slice(2);
const { FEDTUNE_URL: url, FEDTUNE_TOKEN: token } = process.env;
if (path === undefined || url === undefined || token === undefined) {
  console.error('usage: FEDTUNE_URL=... FEDTUNE_TOKEN=... node index.js data.csv [classes]');
  process.exit(2);
}

await activeBackend(); // the fastest training backend here; it logs which
const data = await loadTabular(path, 'label', Number(classes));
const { train, validation } = splitValidation(data, 0.2);
// Every node must build the same architecture: the coordinator federates its weights by name.
const model = buildMlp({ inputs: data.numFeatures, hidden: [64, 32], classes: data.numClasses, learningRate: 0.1 });

const client = new FederatedClient({ url, token, trainer: new LayersModelTrainer({ model, train, validation }) });
client.on('fitDone', ({ round, numExamples }) => console.log(`round ${round}: trained on ${numExamples} examples`));
client.on('evaluated', ({ round, loss }) => console.log(`round ${round}: validation loss ${loss.toFixed(4)}`));
client.on('unreachable', ({ message }) => console.error(`coordinator unreachable (${message}); retrying`));

await client.start();
const { reason } = await client.finished;
console.log(`training finished: ${reason}`);
await client.close();
