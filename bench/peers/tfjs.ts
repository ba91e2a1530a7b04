import { createRequire } from 'node:module';

/**
 * @tensorflow/tfjs-core + tfjs-backend-cpu 4.22 as a benchmark peer (pure JS, float32).
 *
 * Loaded through `require`: the packages' ESM builds use directory imports that Node's ESM
 * loader rejects, and tfjs-core's CommonJS entry does not register gradients by itself.
 */
export type Tf = typeof import('@tensorflow/tfjs-core');

let loaded: Promise<Tf> | undefined;

export function loadTfjs(): Promise<Tf> {
  loaded ??= (async () => {
    const require = createRequire(import.meta.url);
    // The CPU backend prints an advertisement for tfjs-node on first use: keep bench output clean.
    const log = console.log;
    const warn = console.warn;
    console.log = console.warn = () => {};
    try {
      const tf = require('@tensorflow/tfjs-core') as Tf;
      require('@tensorflow/tfjs-core/dist/register_all_gradients');
      require('@tensorflow/tfjs-backend-cpu');
      await tf.setBackend('cpu');
      await tf.ready();
      tf.tensor([0]).dataSync(); // the advertisement is printed on the backend's first write
      return tf;
    } finally {
      console.log = log;
      console.warn = warn;
    }
  })();
  return loaded;
}

/** One tfjs matMul of two n×n float32 matrices, read back so the work is not deferred. */
export function tfjsMatmul(tf: Tf, n: number): () => void {
  const a = tf.randomUniform([n, n], -1, 1);
  const b = tf.randomUniform([n, n], -1, 1);
  return () => {
    const c = tf.matMul(a, b);
    c.dataSync();
    c.dispose();
  };
}

/**
 * One forward + backward step of `layers` dense layers (matMul, bias add, tanh) with a
 * sum-of-squares loss, gradients with respect to every weight and bias via `tf.variableGrads`.
 */
export function tfjsMlpStep(tf: Tf, { batch, width, layers }: { batch: number; width: number; layers: number }): () => number {
  const x = tf.randomNormal([batch, width]);
  const weights = Array.from({ length: layers }, () => tf.variable(tf.randomNormal([width, width], 0, 1 / Math.sqrt(width))));
  const biases = Array.from({ length: layers }, () => tf.variable(tf.zeros([width])));
  const loss = () => {
    let h = x;
    for (let l = 0; l < layers; l++) h = tf.tanh(tf.add(tf.matMul(h, weights[l]!), biases[l]!));
    return tf.sum(tf.square(h)) as import('@tensorflow/tfjs-core').Scalar;
  };
  return () => {
    const { value, grads } = tf.variableGrads(loss);
    const v = value.dataSync()[0]!;
    for (const g of Object.values(grads)) {
      g.dataSync();
      g.dispose();
    }
    value.dispose();
    return v;
  };
}
