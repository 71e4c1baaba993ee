// TensorFlow.js prints a banner in Node ("install our node backend") and other console warnings;
// a command-line node keeps its terminal for fedtune's own lines unless the user asks for --verbose.
import * as tf from '@tensorflow/tfjs';

/** Production mode: tfjs's console warnings off (and its debug checks, which training never uses). */
export function quietTfjs(): void {
  tf.env().set('PROD', true);
}
