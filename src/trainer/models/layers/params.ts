// A model's trainable variables from its initial values, by name, in the order the names give (the order
// of checkpoints and optimiser state).
import * as tf from '@tensorflow/tfjs-core';

export function paramVariables(model: string, names: Iterable<string>, shapes: Readonly<Record<string, number[]>>, initial: ReadonlyMap<string, Float32Array>): Map<string, tf.Variable> {
  const params = new Map<string, tf.Variable>();
  for (const name of names) {
    const values = initial.get(name);
    if (!values) throw new Error(`${model}: no initial value for parameter ${name}`);
    params.set(name, tf.variable(tf.tensor(values, shapes[name], 'float32'), true));
  }
  return params;
}
