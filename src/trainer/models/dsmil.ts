// DSMIL (Li et al. 2021) as the AEM paper uses it: an instance classifier picks the critical instance
// of each class, every instance attends to it through a query projection, and a Conv1d (kernel D)
// classifies the per-class bag embeddings. Loss: 0.5 max-instance CE + 0.5 bag CE; the regulariser
// (and the reported attention) is each class's attention over the instances, [C, N].
import * as tf from '@tensorflow/tfjs-core';
import type { SeededRandom } from '../../util/seededRandom.js';
import { dense, linearInit } from './layers/dense.js';
import type { ForwardOptions, MilForward, MilModel } from './types.js';
import { paramReader, paramVariables, type ParamReader } from './layers/params.js';

export const DSMIL_PARAM_NAMES = ['inst.w', 'inst.b', 'q.w', 'q.b', 'fcc.w', 'fcc.b'] as const;
type DsmilParam = (typeof DSMIL_PARAM_NAMES)[number];

export interface DsmilShape {
  inputDim: number;
  queryDim: number;
  nClasses: number;
}

/** The name of the weighted max-instance CE among the model's own loss terms (a metric of its own). */

/** Each half of the loss: the max-instance CE and the bag CE. */
export const DSMIL_LOSS_WEIGHT = 0.5;

export function dsmilParamShapes(s: DsmilShape): Record<DsmilParam, number[]> {
  return {
    'inst.w': [s.inputDim, s.nClasses],
    'inst.b': [s.nClasses],
    'q.w': [s.inputDim, s.queryDim],
    'q.b': [s.queryDim],
    'fcc.w': [s.nClasses, s.nClasses, s.inputDim],
    'fcc.b': [s.nClasses],
  };
}

/** nn.Linear and nn.Conv1d defaults: uniform in +-1/sqrt(fan_in) (the Conv1d's fan-in is C * D). */
export function initDsmilParams(s: DsmilShape, rng: SeededRandom): Map<string, Float32Array> {
  const shapes = dsmilParamShapes(s);
  const fanIn: Record<DsmilParam, number> = { 'inst.w': s.inputDim, 'inst.b': s.inputDim, 'q.w': s.inputDim, 'q.b': s.inputDim, 'fcc.w': s.nClasses * s.inputDim, 'fcc.b': s.nClasses * s.inputDim };
  return new Map(DSMIL_PARAM_NAMES.map((name) => [name, linearInit(shapes[name], fanIn[name], rng)]));
}

interface DsmilCache {
  x: tf.Tensor2D;
  qa: tf.Tensor2D;
  /** One-hot [C, N] of each class's critical instance. */
  critical: tf.Tensor2D;
  attention: tf.Tensor2D;
  bagEmbedding: tf.Tensor2D;
  /** d (weighted max-instance CE) / d max-instance logits, [1, C]; absent without a label. */
  dMaxLogits?: tf.Tensor2D;
}

export class Dsmil implements MilModel {
  readonly arch = 'dsmil';
  readonly params: ReadonlyMap<string, tf.Variable>;
  private readonly read: ParamReader<DsmilParam>;

  constructor(
    readonly shape: DsmilShape,
    initial: ReadonlyMap<string, Float32Array>,
  ) {
    const shapes = dsmilParamShapes(shape);
    const params = paramVariables('DSMIL', DSMIL_PARAM_NAMES, shapes, initial);
    this.params = params;
    this.read = paramReader<DsmilParam>('DSMIL', params);
  }

  forward(x: tf.Tensor2D, options: ForwardOptions): MilForward {
    const { nClasses: c, queryDim } = this.shape;
    const n = x.shape[0];
    const instanceLogits = dense(x, this.read.matrix('inst.w'), this.read.vector('inst.b')); // [N, C]
    const critical = tf.cast(tf.oneHot(tf.argMax(instanceLogits, 0), n), 'float32') as tf.Tensor2D; // [C, N]
    const qa = dense(x, this.read.matrix('q.w'), this.read.vector('q.b')); // [N, Dq]
    const qCritical = tf.matMul(critical, qa); // [C, Dq]
    const scores = tf.div(tf.matMul(qCritical, tf.transpose(qa)), Math.sqrt(queryDim)) as tf.Tensor2D; // [C, N]
    const attention = tf.softmax(scores) as tf.Tensor2D;
    const bagEmbedding = tf.matMul(attention, x) as tf.Tensor2D; // [C, D]
    const fccW = tf.reshape(this.read.variable('fcc.w'), [c, -1]) as tf.Tensor2D; // [C_out, C * D]
    const logits = tf.add(tf.reshape(tf.matMul(fccW, tf.reshape(bagEmbedding, [-1, 1])), [c]), this.read.variable('fcc.b')) as tf.Tensor1D;
    const cache: DsmilCache = { x, qa, critical, attention, bagEmbedding };
    if (options.label === undefined) return { logits, scores, bagLossWeight: DSMIL_LOSS_WEIGHT, cache };
    const maxLogits = tf.sum(tf.mul(tf.transpose(critical), instanceLogits), 0); // [C]: instanceLogits[m_c, c]
    const logP = tf.logSoftmax(maxLogits);
    const oneHot = tf.cast(tf.oneHot(tf.tensor1d([options.label], 'int32'), c), 'float32') as tf.Tensor2D; // [1, C]
    const maxInstance = tf.mul(DSMIL_LOSS_WEIGHT, tf.neg(tf.sum(tf.mul(logP, oneHot)))) as tf.Scalar;
    cache.dMaxLogits = tf.mul(DSMIL_LOSS_WEIGHT, tf.sub(tf.reshape(tf.exp(logP), [1, c]), oneHot)) as tf.Tensor2D;
    return { logits, scores, extraTerms: { maxInstance }, bagLossWeight: DSMIL_LOSS_WEIGHT, cache };
  }

  backward(cacheValue: unknown, dLogits: tf.Tensor1D, dScores: tf.Tensor2D): Map<string, tf.Tensor> {
    const cache = cacheValue as DsmilCache;
    const { nClasses: c, inputDim: d, queryDim } = this.shape;
    const grads = new Map<string, tf.Tensor>();
    const dl = tf.reshape(dLogits, [c, 1]);

    grads.set('fcc.w', tf.reshape(tf.mul(dl, tf.reshape(cache.bagEmbedding, [1, c * d])), [c, c, d]));
    grads.set('fcc.b', dLogits);
    const dBag = tf.reshape(tf.matMul(tf.reshape(dLogits, [1, c]), tf.reshape(this.read.variable('fcc.w'), [c, c * d])), [c, d]) as tf.Tensor2D;
    const da = tf.matMul(dBag, tf.transpose(cache.x)); // [C, N]
    const ds = tf.add(tf.mul(cache.attention, tf.sub(da, tf.sum(tf.mul(cache.attention, da), 1, true))), dScores);
    const scale = 1 / Math.sqrt(queryDim);
    // scores = (M qa) qa^T * scale: qa gets gradient as every instance's query and as the critical ones'.
    const qCritical = tf.matMul(cache.critical, cache.qa);
    const dqa = tf.mul(tf.add(tf.matMul(tf.transpose(ds), qCritical), tf.matMul(tf.transpose(cache.critical), tf.matMul(ds, cache.qa))), scale) as tf.Tensor2D;
    grads.set('q.w', tf.transpose(tf.matMul(tf.transpose(dqa), cache.x)));
    grads.set('q.b', tf.sum(dqa, 0));

    if (cache.dMaxLogits) {
      const dInstance = tf.mul(tf.transpose(cache.critical), cache.dMaxLogits) as tf.Tensor2D; // [N, C]
      grads.set('inst.w', tf.transpose(tf.matMul(tf.transpose(dInstance), cache.x)));
      grads.set('inst.b', tf.sum(dInstance, 0));
    } else {
      grads.set('inst.w', tf.zerosLike(this.read.variable('inst.w')));
      grads.set('inst.b', tf.zerosLike(this.read.variable('inst.b')));
    }
    return grads;
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
  }
}
