// CLAM single branch (Lu et al. 2021, mahmoodlab/CLAM's CLAM_SB with gate=True): h = ReLU(x W + b),
// gated attention over the instances, bag logits from the attention-pooled h, and instance clustering:
// the kSample highest- and lowest-attended instances train per-class binary instance classifiers (the
// label's class: top ones positive, bottom ones negative; with subtyping every other class: its top ones
// negative). Loss: bagWeight * bag CE + (1 - bagWeight) * instance loss, the instance loss CE or topk's
// smooth top-1 SVM; the regulariser (and the reported attention) is the one attention row, [1, N].
import * as tf from '@tensorflow/tfjs-core';
import type { SeededRandom } from '../../util/seededRandom.js';
import { dense, dropoutMask, linearInit } from './layers/dense.js';
import { gatedAttention, gatedAttentionBackward, gatedAttentionWeightsOf, type GatedAttentionCache, type GatedAttentionWeights } from './layers/gatedAttention.js';
import type { ForwardOptions, MilForward, MilModel } from './types.js';
import { paramReader, paramVariables, type ParamReader } from './layers/params.js';

export type ClamInstanceLoss = 'ce' | 'svm';

export interface ClamShape {
  inputDim: number;
  hiddenDim: number;
  attentionDim: number;
  nClasses: number;
  /** On h and on both gated-attention branches, while training. */
  dropout: number;
  kSample: number;
  instanceLoss: ClamInstanceLoss;
  subtyping: boolean;
  bagWeight: number;
}

const SHARED_PARAMS = ['fc.w', 'fc.b', 'attn_a.w', 'attn_a.b', 'attn_b.w', 'attn_b.b', 'attn_c.w', 'attn_c.b', 'bag_cls.w', 'bag_cls.b'] as const;

/** Parameter names in checkpoint order: the shared ones, then inst_cls.<class>.w / .b per class. */
export function clamParamNames(nClasses: number): string[] {
  return [...SHARED_PARAMS, ...Array.from({ length: nClasses }, (_, i) => [`inst_cls.${i}.w`, `inst_cls.${i}.b`]).flat()];
}

export function clamParamShapes(s: ClamShape): Record<string, number[]> {
  const shapes: Record<string, number[]> = {
    'fc.w': [s.inputDim, s.hiddenDim],
    'fc.b': [s.hiddenDim],
    'attn_a.w': [s.hiddenDim, s.attentionDim],
    'attn_a.b': [s.attentionDim],
    'attn_b.w': [s.hiddenDim, s.attentionDim],
    'attn_b.b': [s.attentionDim],
    'attn_c.w': [s.attentionDim, 1],
    'attn_c.b': [1],
    'bag_cls.w': [s.hiddenDim, s.nClasses],
    'bag_cls.b': [s.nClasses],
  };
  for (let i = 0; i < s.nClasses; i++) {
    shapes[`inst_cls.${i}.w`] = [s.hiddenDim, 2];
    shapes[`inst_cls.${i}.b`] = [2];
  }
  return shapes;
}

/** nn.Linear's default everywhere (uniform in +-1/sqrt(fan_in)). */
export function initClamParams(s: ClamShape, rng: SeededRandom): Map<string, Float32Array> {
  const shapes = clamParamShapes(s);
  const fanIn = (name: string) => (name.startsWith('fc.') ? s.inputDim : name.startsWith('attn_c.') ? s.attentionDim : s.hiddenDim);
  return new Map(clamParamNames(s.nClasses).map((name) => [name, linearInit(shapes[name] as number[], fanIn(name), rng)]));
}

/** Instances each class's instance classifier is trained on, for a bag of n: kSample, or all n when the bag is smaller. */
export function clamSampleSize(kSample: number, n: number): number {
  return Math.min(kSample, n);
}

/** smooth top-1 SVM's switch to the hard loss: the top score leads the second by log(1000) (topk's thresh, tau 1). */
const SVM_HARD_MARGIN = Math.log(1000);

/**
 * One instance classifier's loss over its rows and d loss / d logits, [R, 2]: cross-entropy, or topk's
 * SmoothTop1SVM (alpha 1, tau 1): z_j = x_j + [j != y] - x_y, logsumexp(z), or max_j z_j on rows whose
 * top score leads by log(1000); both summed over rows / rows.
 */
export function instanceLossAndGrad(logits: tf.Tensor2D, targets: tf.Tensor2D, kind: ClamInstanceLoss): { loss: tf.Scalar; dLogits: tf.Tensor2D; hardRows?: tf.Tensor1D } {
  const rows = logits.shape[0];
  if (kind === 'ce') {
    const logP = tf.logSoftmax(logits);
    return { loss: tf.div(tf.neg(tf.sum(tf.mul(logP, targets))), rows) as tf.Scalar, dLogits: tf.div(tf.sub(tf.exp(logP), targets), rows) as tf.Tensor2D };
  }
  const z = tf.sub(tf.add(logits, tf.sub(1, targets)), tf.sum(tf.mul(logits, targets), 1, true)) as tf.Tensor2D;
  // The instance classifiers are binary: the lead of the top score is |x_0 - x_1|.
  const [x0, x1] = tf.split(logits, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
  const hardCol = tf.greaterEqual(tf.abs(tf.sub(x0, x1)), SVM_HARD_MARGIN); // [R, 1]
  const hard = tf.reshape(hardCol, [rows]) as tf.Tensor1D;
  const smoothLoss = tf.logSumExp(z, 1);
  const hardLoss = tf.max(z, 1);
  const loss = tf.div(tf.sum(tf.where(hard, hardLoss, smoothLoss)), rows) as tf.Scalar;
  // z_y = 0 whatever x is, so d/dx = softmax(z) - onehot(y) (smooth) or onehot(argmax z) - onehot(y) (hard).
  const dSmooth = tf.sub(tf.softmax(z), targets);
  const dHard = tf.sub(tf.cast(tf.oneHot(tf.argMax(z, 1), 2), 'float32'), targets);
  const dLogits = tf.div(tf.where(hardCol, dHard, dSmooth), rows) as tf.Tensor2D;
  return { loss, dLogits, hardRows: hard };
}

interface InstanceBranch {
  cls: number;
  ids: tf.Tensor1D;
  rows: tf.Tensor2D;
  /** d (weighted instance loss) / d this classifier's logits, [R, 2]. */
  dLogits: tf.Tensor2D;
}

interface ClamCache {
  x: tf.Tensor2D;
  h: tf.Tensor2D;
  mask?: tf.Tensor2D;
  gated: GatedAttentionCache;
  attention: tf.Tensor2D;
  z: tf.Tensor2D;
  instance: InstanceBranch[];
  instanceDetail?: ClamInstanceDetail;
}

/** What the instance clustering chose and computed, for tests against the authors' values. */
export interface ClamInstanceDetail {
  topIds: tf.Tensor1D;
  bottomIds: tf.Tensor1D;
  /** Per class: logits, targets and the (unweighted) loss; absent for a class that is skipped. */
  perClass: ({ logits: tf.Tensor2D; targets: tf.Tensor2D; loss: tf.Scalar; hardRows?: tf.Tensor1D } | undefined)[];
  /** Sum of the per-class losses (divided by the class count with subtyping), unweighted. */
  loss: tf.Scalar;
}

/** The instance clustering of a forward pass (from its cache; undefined without a label). */
export function clamInstanceDetail(cache: unknown): ClamInstanceDetail | undefined {
  return (cache as ClamCache).instanceDetail;
}

export class ClamSb implements MilModel {
  readonly arch = 'clam_sb';
  readonly params: ReadonlyMap<string, tf.Variable>;
  private readonly read: ParamReader;

  constructor(
    readonly shape: ClamShape,
    initial: ReadonlyMap<string, Float32Array>,
  ) {
    const shapes = clamParamShapes(shape);
    const params = paramVariables('CLAM', clamParamNames(shape.nClasses), shapes, initial);
    this.params = params;
    this.read = paramReader('CLAM', params);
  }

  private attentionWeights(): GatedAttentionWeights {
    return gatedAttentionWeightsOf(this.read, { v: 'attn_a', u: 'attn_b', w: 'attn_c' }, { weight: 'w', bias: 'b' });
  }

  forward(x: tf.Tensor2D, options: ForwardOptions): MilForward {
    const { dropout, attentionDim } = this.shape;
    const n = x.shape[0];
    let h = dense(x, this.read.matrix('fc.w'), this.read.vector('fc.b'), 'relu');
    let mask: tf.Tensor2D | undefined;
    let attnDropout: { tanh: tf.Tensor2D; sigmoid: tf.Tensor2D } | undefined;
    if (options.training && dropout > 0) {
      if (!options.random) throw new Error('CLAM: dropout needs a random source');
      mask = dropoutMask([n, h.shape[1]], dropout, options.random);
      h = tf.mul(h, mask);
      // CLAM's gated attention drops out both branches too when dropout is on.
      attnDropout = { tanh: dropoutMask([n, attentionDim], dropout, options.random), sigmoid: dropoutMask([n, attentionDim], dropout, options.random) };
    }
    const gated = gatedAttention(h, this.attentionWeights(), attnDropout);
    const scores = tf.reshape(gated.scores, [1, n]) as tf.Tensor2D;
    const attention = tf.softmax(scores) as tf.Tensor2D;
    const z = tf.matMul(attention, h) as tf.Tensor2D;
    const logits = tf.reshape(dense(z, this.read.matrix('bag_cls.w'), this.read.vector('bag_cls.b')), [-1]) as tf.Tensor1D;
    const cache: ClamCache = { x, h, gated: gated.cache, attention, z, instance: [], ...(mask ? { mask } : {}) };
    const bagLossWeight = this.shape.bagWeight;
    if (options.label === undefined) return { logits, scores, bagLossWeight, cache };
    const detail = this.instanceClustering(h, scores, options.label, cache);
    cache.instanceDetail = detail;
    const instance = tf.mul(1 - this.shape.bagWeight, detail.loss) as tf.Scalar;
    return { logits, scores, extraTerms: { instance }, bagLossWeight, cache };
  }

  /** CLAM's inst_eval (the label's class) and, with subtyping, inst_eval_out (every other class). */
  private instanceClustering(h: tf.Tensor2D, scores: tf.Tensor2D, label: number, cache: ClamCache): ClamInstanceDetail {
    const { nClasses, subtyping, instanceLoss } = this.shape;
    const n = h.shape[0];
    const k = clamSampleSize(this.shape.kSample, n);
    // The order of the scores is the attention's (softmax is monotone) without its ties from underflow.
    const row = tf.reshape(scores, [n]);
    const topIds = tf.topk(row, k).indices as tf.Tensor1D;
    const bottomIds = tf.topk(tf.neg(row), k).indices as tf.Tensor1D;
    const inClass = tf.concat([topIds, bottomIds]) as tf.Tensor1D;
    const inTargets = tf.tensor2d(Array.from({ length: 2 * k }, (_, r) => (r < k ? [0, 1] : [1, 0])).flat(), [2 * k, 2]);
    const outTargets = tf.tensor2d(Array.from({ length: k }, () => [1, 0]).flat(), [k, 2]);
    // The instance loss is divided by the class count with subtyping, and weighted by 1 - bagWeight.
    const scale = (1 - this.shape.bagWeight) / (subtyping ? nClasses : 1);
    const perClass: ClamInstanceDetail['perClass'] = [];
    let total: tf.Scalar = tf.scalar(0);
    for (let c = 0; c < nClasses; c++) {
      if (c !== label && !subtyping) {
        perClass.push(undefined);
        continue;
      }
      const ids = c === label ? inClass : topIds;
      const targets = c === label ? inTargets : outTargets;
      const rows = tf.gather(h, ids) as tf.Tensor2D;
      const clsLogits = dense(rows, this.read.matrix(`inst_cls.${c}.w`), this.read.vector(`inst_cls.${c}.b`));
      const { loss, dLogits, hardRows } = instanceLossAndGrad(clsLogits, targets, instanceLoss);
      perClass.push({ logits: clsLogits, targets, loss, ...(hardRows ? { hardRows } : {}) });
      total = tf.add(total, loss) as tf.Scalar;
      cache.instance.push({ cls: c, ids, rows, dLogits: tf.mul(dLogits, scale) as tf.Tensor2D });
    }
    const loss = (subtyping ? tf.div(total, nClasses) : total) as tf.Scalar;
    return { topIds, bottomIds, perClass, loss };
  }

  backward(cacheValue: unknown, dLogits: tf.Tensor1D, dScores: tf.Tensor2D): Map<string, tf.Tensor> {
    const c = cacheValue as ClamCache;
    const n = c.x.shape[0];
    const hidden = this.shape.hiddenDim;
    const grads = new Map<string, tf.Tensor>();
    const dl = tf.reshape(dLogits, [1, -1]) as tf.Tensor2D;

    grads.set('bag_cls.w', tf.matMul(tf.transpose(c.z), dl));
    grads.set('bag_cls.b', dLogits);
    const dz = tf.matMul(dl, tf.transpose(this.read.matrix('bag_cls.w'))); // [1, Hd]
    let dh = tf.mul(tf.reshape(c.attention, [n, 1]), dz) as tf.Tensor2D;
    const da = tf.reshape(tf.matMul(c.h, tf.transpose(dz)), [1, n]);
    const ds = tf.add(tf.mul(c.attention, tf.sub(da, tf.sum(tf.mul(c.attention, da)))), dScores);

    const g = gatedAttentionBackward(c.gated, this.attentionWeights(), tf.reshape(ds, [n, 1]) as tf.Tensor2D, true);
    grads.set('attn_a.w', g.vW);
    grads.set('attn_a.b', g.vB);
    grads.set('attn_b.w', g.uW);
    grads.set('attn_b.b', g.uB);
    grads.set('attn_c.w', g.wW);
    grads.set('attn_c.b', g.wB);
    dh = tf.add(dh, g.dh);

    // The instance classifiers: each used one gets its gradient, and its rows' gradient goes back to h
    // (an instance chosen more than once, by several classes or as top and bottom, adds them up).
    // A classifier the loss did not use gets none, so the optimiser leaves it as it is.
    if (c.instance.length > 0) {
      const ids: tf.Tensor1D[] = [];
      const dRows: tf.Tensor2D[] = [];
      for (const branch of c.instance) {
        grads.set(`inst_cls.${branch.cls}.w`, tf.matMul(tf.transpose(branch.rows), branch.dLogits));
        grads.set(`inst_cls.${branch.cls}.b`, tf.sum(branch.dLogits, 0));
        ids.push(branch.ids);
        dRows.push(tf.matMul(branch.dLogits, tf.transpose(this.read.matrix(`inst_cls.${branch.cls}.w`))) as tf.Tensor2D);
      }
      const at = tf.reshape(tf.concat(ids), [-1, 1]);
      dh = tf.add(dh, tf.scatterND(at, tf.concat(dRows), [n, hidden])) as tf.Tensor2D;
    }

    if (c.mask) dh = tf.mul(dh, c.mask);
    const dPre = tf.mul(dh, tf.step(c.h));
    grads.set('fc.w', tf.transpose(tf.matMul(tf.transpose(dPre), c.x)));
    grads.set('fc.b', tf.sum(dPre, 0));
    return grads;
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
  }
}
