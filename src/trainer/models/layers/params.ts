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

/** A model's parameters read by name with the rank the maths needs. */
export interface ParamReader<Name extends string = string> {
  variable(name: Name): tf.Variable;
  matrix(name: Name): tf.Tensor2D;
  vector(name: Name): tf.Tensor1D;
}

export function paramReader<Name extends string = string>(model: string, params: ReadonlyMap<string, tf.Variable>): ParamReader<Name> {
  const variable = (name: Name): tf.Variable => {
    const v = params.get(name);
    if (!v) throw new Error(`${model}: no parameter ${name}`);
    return v;
  };
  const ofRank = (name: Name, rank: number): tf.Tensor => {
    const v = variable(name);
    if (v.rank !== rank) throw new Error(`${model}: parameter ${name} has shape [${v.shape.join(', ')}], not rank ${rank}`);
    return v;
  };
  return {
    variable,
    matrix: (name) => ofRank(name, 2) as tf.Tensor2D,
    vector: (name) => ofRank(name, 1) as tf.Tensor1D,
  };
}
