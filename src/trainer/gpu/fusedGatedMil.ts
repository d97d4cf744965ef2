// Gated-attention MIL + AEM as one WebGPU compute pass per training step over buffers that live on the
// device for the whole run: gated ABMIL in 14 dispatches (forward, backward, gradient reduction, AdamW),
// and CLAM-SB, the same graph with the first layer's bias and the instance-clustering branch, in 16.
// Built from the kernel blocks in ./kernels; sized for the largest bag seen so far (buffers grow, never per step).
import type { RegulariserKind } from '../lossTerms.js';
import type { GatedLayout } from './gatedLayout.js';
import { gemmGrid, gemmKindFor, gemmShader, type GemmKind } from './kernels/gemm.js';
import { rowReduceGrid, rowReduceShader } from './kernels/rowReduce.js';
import { softmaxBackwardShader, softmaxForwardShader } from './kernels/softmax.js';
import { chunksOf, columnSumGrid, columnSumShader } from './kernels/columnSums.js';
import { evalStride, headShader } from './kernels/head.js';
import { segmentReduceGrid, segmentReduceShader, type ReduceSegment } from './kernels/segmentReduce.js';
import { ADAMW_GROUP_FLOATS, adamwGrid, adamwShader } from './kernels/adamw.js';
import { instanceClusteringShader, instanceWorkgroupFloats, type InstanceLossKind } from './kernels/instanceClustering.js';
import { STEP_BYTES, STEP_FIELDS, type StepField } from './wgsl.js';
import { FusedUnsupportedError } from './unsupported.js';

const RO = (binding: number, name: string) => `@group(0) @binding(${binding}) var<storage, read> ${name}: array<f32>;`;
/** Features stored as float16, two to a u32 word. */
const RO_HALVES = (binding: number, name: string) => `@group(0) @binding(${binding}) var<storage, read> ${name}: array<u32>;`;
const RW = (binding: number, name: string) => `@group(0) @binding(${binding}) var<storage, read_write> ${name}: array<f32>;`;
const RO_U32 = (binding: number, name: string) => `@group(0) @binding(${binding}) var<storage, read> ${name}: array<u32>;`;

/** CLAM-SB's instance clustering (clam.ts); its absence makes the graph gated ABMIL's. */
export interface InstanceBranch {
  kSample: number;
  loss: InstanceLossKind;
  subtyping: boolean;
  bagWeight: number;
}

/** Workgroup memory every WebGPU device gives (maxComputeWorkgroupStorageSize's floor), in floats. */
const WORKGROUP_FLOATS = 4096;

/** Most split-K slices of the two weight gradients whose K is the bag size. */
const MAX_SPLITS_X = 8;
const MAX_SPLITS_H = 32;
/** Evaluation outputs kept on the device before one read-back. */
export const EVAL_SLOTS = 512;
/** Training steps whose losses the device keeps (total, CE, regulariser, spare) before a read-back. */
export const LOSS_SLOTS = 4096;

export interface StepScalars {
  n: number;
  label: number;
  lambda: number;
  lr: number;
  weightDecay: number;
  /** AdamW step number t (1 = first). */
  adamStep: number;
  train: boolean;
  slot: number;
  /**
   * With several AdamW groups: each group's own step count t after this step, 0 for a group this step
   * leaves without a gradient (not stepped at all).
   */
  groupSteps?: readonly number[];
}

const ADAM = { beta1: 0.9, beta2: 0.999, eps: 1e-8 };

type BufferName =
  | 'x' | 'h' | 't' | 'dp' | 's' | 'a' | 'da' | 'zpart' | 'partG' | 'partX' | 'partH' | 'params' | 'grads' | 'm1' | 'm2' | 'stats' | 'lossLog' | 'dz' | 'evalOut'
  | 'instDh' | 'instIds' | 'groupSteps';

interface Kernel {
  name: string;
  layout: GPUBindGroupLayout;
  pipeline: GPUComputePipeline;
  /** Buffers bound at 1, 2, ... (0 is the step uniform). */
  buffers: BufferName[];
  grid: (n: number) => [number, number, number?];
}

function buildKernel(device: GPUDevice, name: string, code: string, buffers: BufferName[], grid: Kernel['grid']): Kernel {
  const layout = declaredLayout(device, name, code);
  const pipelineLayout = device.createPipelineLayout({ label: name, bindGroupLayouts: [layout] });
  const module = device.createShaderModule({ label: name, code });
  return { name, layout, pipeline: device.createComputePipeline({ label: name, layout: pipelineLayout, compute: { module, entryPoint: 'main' } }), buffers, grid };
}

/** The two kernels that read the bag's features x, for float32 or float16 storage. */
interface InputKernels {
  forward: Kernel;
  weightGradient: Kernel;
}

export class FusedGatedMil {
  readonly stepUniform: GPUBuffer;
  private readonly buffers = new Map<BufferName, GPUBuffer>();
  private readonly forwardKernels: Kernel[];
  private readonly backwardKernels: Kernel[];
  private readonly floatInput: InputKernels;
  private halfInput: InputKernels | undefined;
  private bindGroups = new Map<string, GPUBindGroup>();
  private capacity = 0;
  private readonly scalars = new ArrayBuffer(STEP_BYTES);
  private readonly groupScalars: Float32Array<ArrayBuffer> | undefined;

  constructor(
    readonly device: GPUDevice,
    readonly layout: GatedLayout,
    readonly regulariser: RegulariserKind,
    /** Largest storage binding the device allows, in bytes. */
    readonly maxBinding: number,
    /** One GEMM kind for every product (the parity tests run both); by default chosen per product from its widths. */
    private readonly forcedGemm?: GemmKind,
    readonly instance?: InstanceBranch,
  ) {
    const { d: D, l: L, a: A, c: C } = layout.dims;
    if (L > 3500) throw new Error(`the fused WebGPU path supports a hidden width of at most 3500 (model.hidden is ${L})`);
    if (C > 64) throw new Error(`the fused WebGPU path supports at most 64 classes (the data has ${C})`);
    if (instance && layout.instance === undefined) throw new Error('fused path: an instance branch needs a layout with instance classifiers');
    const clustering = instance && layout.instance !== undefined
      ? { hidden: L, classes: C, kSample: instance.kSample, loss: instance.loss, subtyping: instance.subtyping, bagWeight: instance.bagWeight, offset: layout.instance }
      : undefined;
    if (clustering && instanceWorkgroupFloats(clustering) > WORKGROUP_FLOATS) {
      throw new FusedUnsupportedError(
        `model.kSample ${instance?.kSample} with ${C} classes${instance?.subtyping ? ' and subtyping' : ''} (its instance clustering needs ${instanceWorkgroupFloats(clustering)} floats of workgroup memory, more than the ${WORKGROUP_FLOATS} every device gives; lower model.kSample)`,
      );
    }
    const A2 = 2 * A;
    const P = layout.size;
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const make = (name: BufferName, floats: number) => this.buffers.set(name, device.createBuffer({ label: name, size: Math.max(16, floats * 4), usage }));
    for (const name of ['params', 'grads', 'm1', 'm2'] as const) make(name, P);
    make('stats', 4);
    make('lossLog', LOSS_SLOTS * 4);
    make('dz', L);
    make('evalOut', EVAL_SLOTS * evalStride(C, instance ? 1 : 0));
    make('partX', MAX_SPLITS_X * D * L);
    make('partH', MAX_SPLITS_H * L * A2);
    if (clustering) {
      make('instDh', 2 * clustering.kSample * L);
      make('instIds', 2 * clustering.kSample);
    }
    const groups = layout.groups;
    if (groups.length > 1) make('groupSteps', groups.length * ADAMW_GROUP_FLOATS);
    this.groupScalars = groups.length > 1 ? new Float32Array(groups.length * ADAMW_GROUP_FLOATS) : undefined;
    this.stepUniform = device.createBuffer({ label: 'step', size: STEP_BYTES, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });

    const kernel = (name: string, code: string, buffers: BufferName[], grid: Kernel['grid']): Kernel => buildKernel(device, name, code, buffers, grid);
    const lo = layout;
    this.floatInput = this.inputKernels(false);
    this.forwardKernels = [
      this.floatInput.forward,
      kernel(
        't = [tanh | sigmoid](h Wvu + b)',
        gemmShader({
          m: 'u.n', n: `${A2}u`, k: `${L}u`, kind: this.gemmKind(A2, L),
          a: { buffer: 'h', ld: `${L}u`, transposed: false },
          b: { buffer: 'params', offset: `${lo.vu}u`, ld: `${A2}u`, transposed: false },
          bindings: [RO(1, 'h'), RO(2, 'params'), RW(3, 'gates')],
          epilogue: `let p = v + params[${lo.vuBias}u + col];
        var g = 0.0;
        if (col < ${A}u) { g = tanh(clamp(p, -15.0, 15.0)); } else { g = 1.0 / (1.0 + exp(-p)); }
        gates[row * ${A2}u + col] = g;`,
        }),
        ['h', 'params', 't'],
        (n) => gemmGrid(n, A2, 1, this.gemmKind(A2, L)),
      ),
      kernel(
        'scores',
        rowReduceShader({
          bindings: [RO(1, 'gates'), RO(2, 'params'), RW(3, 'scores')],
          width: A,
          element: `gates[r * ${A2}u + j] * gates[r * ${A2}u + ${A}u + j] * params[${lo.w}u + j]`,
          write: `scores[r] = total + params[${lo.wBias}u];`,
        }),
        ['t', 'params', 's'],
        (n) => rowReduceGrid(n),
      ),
      kernel('softmax + regulariser', softmaxForwardShader(), ['s', 'a', 'stats'], () => [1, 1]),
      ...(clustering ? [kernel('instance clustering', instanceClusteringShader(clustering), ['s', 'h', 'params', 'stats', 'grads', 'instDh', 'instIds'], () => [1, 1])] : []),
      kernel(
        'z partials',
        columnSumShader({
          bindings: [RO(1, 'attention'), RO(2, 'h'), RW(3, 'zpart')],
          columns: L,
          sums: 1,
          body: `s0 = s0 + attention[n] * h[n * ${L}u + col];`,
          store: `zpart[c * ${L}u + col] = total;`,
        }),
        ['a', 'h', 'zpart'],
        (n) => columnSumGrid(L, n),
      ),
      kernel(
        'head',
        headShader({ hidden: L, classes: C, regulariser, weightOffset: lo.cls, biasOffset: lo.clsBias, ...(instance ? { lossWeight: instance.bagWeight, extraLoss: 'stats[3]' } : {}) }),
        ['zpart', 'params', 'stats', 'lossLog', 'grads', 'dz', 'evalOut'],
        () => [1, 1],
      ),
    ];
    const segments: ReduceSegment[] = [
      { source: 'partX', count: D * L, parts: 'u.splitsX', destination: (i) => `${lo.w1}u + ${i}` },
      { source: 'partH', count: L * A2, parts: 'u.splitsH', destination: (i) => `${lo.vu}u + ${i}` },
      { source: 'partG', count: A2, stride: 3 * A, parts: 'u.chunks', destination: (i) => `${lo.vuBias}u + ${i}` },
      { source: 'partG', count: A, stride: 3 * A, sourceOffset: A2, parts: 'u.chunks', destination: (i) => `${lo.w}u + ${i}` },
    ];
    const b1 = lo.b1;
    // The first layer's bias gradient: column sums of dh, parked in zpart (free once the head has run).
    if (b1 !== undefined) segments.push({ source: 'zpart', count: L, parts: 'u.chunks', destination: (i) => `${b1}u + ${i}` });
    const instanceRows = clustering ? `
        for (var r = 0u; r < 2u * min(${clustering.kSample}u, u.n); r = r + 1u) {
          if (instIds[r] == row) { d = d + instDh[r * ${L}u + col]; }
        }` : '';
    this.backwardKernels = [
      kernel(
        'dL/da = h dz',
        rowReduceShader({
          bindings: [RO(1, 'h'), RO(2, 'dz'), RW(3, 'da')],
          width: L,
          element: `h[r * ${L}u + j] * dz[j]`,
          write: 'da[r] = total;',
        }),
        ['h', 'dz', 'da'],
        (n) => rowReduceGrid(n),
      ),
      kernel('softmax backward', softmaxBackwardShader(regulariser), ['s', 'a', 'stats', 'da'], () => [1, 1]),
      kernel(
        'gate backward',
        columnSumShader({
          bindings: [RO(1, 'gates'), RO(2, 'ds'), RO(3, 'params'), RW(4, 'dp'), RW(5, 'partG')],
          columns: A,
          sums: 3,
          body: `let tv = gates[n * ${A2}u + col];
      let tu = gates[n * ${A2}u + ${A}u + col];
      let dg = ds[n] * params[${lo.w}u + col];
      let dv = dg * tu * (1.0 - tv * tv);
      let du = dg * tv * tu * (1.0 - tu);
      dp[n * ${A2}u + col] = dv;
      dp[n * ${A2}u + ${A}u + col] = du;
      s0 = s0 + dv;
      s1 = s1 + du;
      s2 = s2 + tv * tu * ds[n];`,
          store: `partG[c * ${3 * A}u + k * ${A}u + col] = total;`,
        }),
        ['t', 'da', 'params', 'dp', 'partG'],
        (n) => columnSumGrid(A, n),
      ),
      kernel(
        'dWvu = h^T dp',
        gemmShader({
          m: `${L}u`, n: `${A2}u`, k: 'u.n', kind: this.gemmKind(L, A2),
          a: { buffer: 'h', ld: `${L}u`, transposed: true },
          b: { buffer: 'dp', ld: `${A2}u`, transposed: false },
          splits: 'u.splitsH',
          bindings: [RO(1, 'h'), RO(2, 'dp'), RW(3, 'partH')],
          epilogue: `partH[wid.z * ${L * A2}u + row * ${A2}u + col] = v;`,
        }),
        ['h', 'dp', 'partH'],
        (n) => gemmGrid(L, A2, splitsH(n), this.gemmKind(L, A2)),
      ),
      kernel(
        'dh -> relu backward (in place over h)',
        gemmShader({
          m: 'u.n', n: `${L}u`, k: `${A2}u`, kind: this.gemmKind(L, A2),
          a: { buffer: 'dp', ld: `${A2}u`, transposed: false },
          b: { buffer: 'params', offset: `${lo.vu}u`, ld: `${A2}u`, transposed: true },
          bindings: [RO(1, 'dp'), RO(2, 'params'), RO(3, 'attention'), RO(4, 'dz'), RW(5, 'h'), ...(clustering ? [RO_U32(6, 'instIds'), RO(7, 'instDh')] : [])],
          epilogue: `let o = row * ${L}u + col;
        var d = v + attention[row] * dz[col];${instanceRows}
        h[o] = select(0.0, d, h[o] > 0.0);`,
        }),
        ['dp', 'params', 'a', 'dz', 'h', ...(clustering ? (['instIds', 'instDh'] as const) : [])],
        (n) => gemmGrid(n, L, 1, this.gemmKind(L, A2)),
      ),
      ...(b1 !== undefined
        ? [
            kernel(
              'db1 partials',
              columnSumShader({
                bindings: [RO(1, 'dh'), RW(2, 'zpart')],
                columns: L,
                sums: 1,
                body: `s0 = s0 + dh[n * ${L}u + col];`,
                store: `zpart[c * ${L}u + col] = total;`,
              }),
              ['h', 'zpart'],
              (n) => columnSumGrid(L, n),
            ),
          ]
        : []),
      this.floatInput.weightGradient,
      kernel(
        'gradient partials -> grads',
        segmentReduceShader([RO(1, 'partX'), RO(2, 'partH'), RO(3, 'partG'), ...(b1 !== undefined ? [RO(4, 'zpart'), RW(5, 'grads')] : [RW(4, 'grads')])], segments),
        ['partX', 'partH', 'partG', ...(b1 !== undefined ? (['zpart'] as const) : []), 'grads'],
        () => segmentReduceGrid(segments),
      ),
      kernel('AdamW', adamwShader(P, groups), ['params', 'grads', 'm1', 'm2', ...(groups.length > 1 ? (['groupSteps'] as const) : [])], () => adamwGrid(P)),
    ];
  }

  private gemmKind(...fixedSides: number[]): GemmKind {
    return this.forcedGemm ?? gemmKindFor(...fixedSides);
  }

  /** The kernels that read x, as a GEMM over float32 or packed float16 features. */
  private inputKernels(halves: boolean): InputKernels {
    const { d: D, l: L } = this.layout.dims;
    const declare = halves ? RO_HALVES : RO;
    const suffix = halves ? ' (float16 x)' : '';
    return {
      forward: buildKernel(
        this.device,
        `h = relu(x W1)${suffix}`,
        gemmShader({
          m: 'u.n', n: `${L}u`, k: `${D}u`, kind: this.gemmKind(L, D),
          a: { buffer: 'x', ld: `${D}u`, transposed: false, packedHalves: halves },
          b: { buffer: 'params', offset: `${this.layout.w1}u`, ld: `${L}u`, transposed: false },
          bindings: [declare(1, 'x'), RO(2, 'params'), RW(3, 'h')],
          epilogue: `h[row * ${L}u + col] = max(v${this.layout.b1 !== undefined ? ` + params[${this.layout.b1}u + col]` : ''}, 0.0);`,
        }),
        ['x', 'params', 'h'],
        (n) => gemmGrid(n, L, 1, this.gemmKind(L, D)),
      ),
      weightGradient: buildKernel(
        this.device,
        `dW1 = x^T dh${suffix}`,
        gemmShader({
          m: `${D}u`, n: `${L}u`, k: 'u.n', kind: this.gemmKind(D, L),
          a: { buffer: 'x', ld: `${D}u`, transposed: true, packedHalves: halves },
          b: { buffer: 'dh', ld: `${L}u`, transposed: false },
          splits: 'u.splitsX',
          bindings: [declare(1, 'x'), RO(2, 'dh'), RW(3, 'partX')],
          epilogue: `partX[wid.z * ${D * L}u + row * ${L}u + col] = v;`,
        }),
        ['x', 'h', 'partX'],
        (n) => gemmGrid(D, L, splitsX(n), this.gemmKind(D, L)),
      ),
    };
  }

  /** The step's kernels with the input kernels for the features' storage (float16 ones built on first use). */
  private kernelsFor(train: boolean, halves: boolean): Kernel[] {
    const kernels = train ? [...this.forwardKernels, ...this.backwardKernels] : this.forwardKernels;
    if (!halves) return kernels;
    this.halfInput ??= this.inputKernels(true);
    const half = this.halfInput;
    return kernels.map((k) => (k === this.floatInput.forward ? half.forward : k === this.floatInput.weightGradient ? half.weightGradient : k));
  }

  buffer(name: BufferName): GPUBuffer {
    const b = this.buffers.get(name);
    if (!b) throw new Error(`fused path: buffer ${name} has not been sized yet`);
    return b;
  }

  /** Bytes of the features of a bag of n instances (the largest single binding). */
  featureBytes(n: number): number {
    return n * this.layout.dims.d * 4;
  }

  /** Makes room for bags of n instances; buffers grow (by 25 % headroom) and are never made per step. */
  ensureCapacity(n: number): void {
    if (n <= this.capacity) return;
    const { d: D, l: L, a: A } = this.layout.dims;
    if (this.featureBytes(n) > this.maxBinding) {
      throw new Error(`a bag of ${n} instances x ${D} features (${(this.featureBytes(n) / 2 ** 20).toFixed(0)} MiB) is larger than this WebGPU device's largest storage binding (${(this.maxBinding / 2 ** 20).toFixed(0)} MiB): cap it with train.maxInstances, or use the tfjs path`);
    }
    const cap = Math.min(Math.max(n, Math.ceil(this.capacity * 1.25)), Math.floor(this.maxBinding / (D * 4)));
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const sizes: [BufferName, number][] = [
      ['x', cap * D],
      ['h', cap * L],
      ['t', cap * 2 * A],
      ['dp', cap * 2 * A],
      ['s', cap],
      ['a', cap],
      ['da', cap],
      ['zpart', chunksOf(cap) * L],
      ['partG', chunksOf(cap) * 3 * A],
    ];
    for (const [name, floats] of sizes) {
      this.buffers.get(name)?.destroy();
      this.buffers.set(name, this.device.createBuffer({ label: name, size: Math.max(16, floats * 4), usage }));
    }
    this.capacity = cap;
    this.bindGroups.clear();
  }

  get instanceCapacity(): number {
    return this.capacity;
  }

  private bindGroup(k: Kernel, x: GPUBuffer, key: string): GPUBindGroup {
    const id = `${k.name}|${key}`;
    let group = this.bindGroups.get(id);
    if (!group) {
      const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: this.stepUniform } }];
      k.buffers.forEach((name, i) => entries.push({ binding: i + 1, resource: { buffer: name === 'x' ? x : this.buffer(name) } }));
      group = this.device.createBindGroup({ label: k.name, layout: k.layout, entries });
      this.bindGroups.set(id, group);
    }
    return group;
  }

  /** Forgets the bind groups made for a resident bag's feature buffer. */
  forgetFeatures(key: string): void {
    for (const id of [...this.bindGroups.keys()]) if (id.endsWith(`|${key}`)) this.bindGroups.delete(id);
  }

  writeScalars(s: StepScalars): void {
    const view = new DataView(this.scalars);
    const bc1 = 1 - ADAM.beta1 ** Math.max(1, s.adamStep);
    const values: Record<StepField, number> = {
      n: s.n,
      label: s.label,
      chunks: chunksOf(s.n),
      splitsX: splitsX(s.n),
      splitsH: splitsH(s.n),
      train: s.train ? 1 : 0,
      slot: s.slot,
      pad0: 0,
      lambda: s.lambda,
      lr: s.lr,
      decay: 1 - s.lr * s.weightDecay,
      stepSize: s.lr / bc1,
      sqrtBc2: Math.sqrt(1 - ADAM.beta2 ** Math.max(1, s.adamStep)),
      beta1: ADAM.beta1,
      beta2: ADAM.beta2,
      eps: ADAM.eps,
    };
    STEP_FIELDS.forEach(([name, type], i) => (type === 'u32' ? view.setUint32(i * 4, values[name], true) : view.setFloat32(i * 4, values[name], true)));
    this.device.queue.writeBuffer(this.stepUniform, 0, this.scalars);
    if (s.train && s.groupSteps && this.groupScalars) {
      s.groupSteps.forEach((t, g) => {
        const o = g * ADAMW_GROUP_FLOATS;
        const scalars = this.groupScalars as Float32Array<ArrayBuffer>;
        scalars[o] = t > 0 ? 1 : 0;
        scalars[o + 1] = values.decay;
        scalars[o + 2] = s.lr / (1 - ADAM.beta1 ** Math.max(1, t));
        scalars[o + 3] = Math.sqrt(1 - ADAM.beta2 ** Math.max(1, t));
      });
      this.device.queue.writeBuffer(this.buffer('groupSteps'), 0, this.groupScalars);
    }
  }

  /**
   * Which AdamW groups a training step with this label gives a gradient: every one for gated ABMIL and
   * CLAM with subtyping; without subtyping CLAM trains only the label's instance classifier.
   */
  groupsStepped(label: number): boolean[] {
    return this.layout.groups.map((_, g) => g === 0 || this.instance === undefined || this.instance.subtyping || g - 1 === label);
  }

  /** Values of one bag's evaluation slot. */
  get evalStride(): number {
    return evalStride(this.layout.dims.c, this.instance ? 1 : 0);
  }

  /**
   * Records the forward pass (and, when training, the backward pass and AdamW) of a bag of n instances
   * whose features are in x, as float32 or (halves) as float16 pairs.
   */
  encode(pass: GPUComputePassEncoder, n: number, train: boolean, x: GPUBuffer, xKey: string, halves = false): void {
    for (const k of this.kernelsFor(train, halves)) {
      pass.setPipeline(k.pipeline);
      pass.setBindGroup(0, this.bindGroup(k, x, xKey));
      const [gx, gy, gz] = k.grid(n);
      pass.dispatchWorkgroups(gx, gy ?? 1, gz ?? 1);
    }
  }

  /** Dispatches of one training step (forward + backward + AdamW). */
  get trainingDispatches(): number {
    return this.forwardKernels.length + this.backwardKernels.length;
  }

  destroy(): void {
    for (const b of this.buffers.values()) b.destroy();
    this.stepUniform.destroy();
    this.buffers.clear();
    this.bindGroups.clear();
  }
}

/**
 * The bind group layout a kernel declares, read from its own WGSL: 'auto' layouts drop bindings a
 * variant does not use (the KL backward never reads the scores), which would break the shared binding lists.
 */
function declaredLayout(device: GPUDevice, name: string, code: string): GPUBindGroupLayout {
  const entries: GPUBindGroupLayoutEntry[] = [];
  for (const m of code.matchAll(/@binding\((\d+)\) var<(uniform|storage, read_write|storage, read)>/g)) {
    const type: GPUBufferBindingType = m[2] === 'uniform' ? 'uniform' : m[2] === 'storage, read' ? 'read-only-storage' : 'storage';
    entries.push({ binding: Number(m[1]), visibility: GPUShaderStage.COMPUTE, buffer: { type } });
  }
  return device.createBindGroupLayout({ label: name, entries });
}

export function splitsX(n: number): number {
  return Math.min(MAX_SPLITS_X, Math.max(1, Math.ceil(n / 1024)));
}

export function splitsH(n: number): number {
  return Math.min(MAX_SPLITS_H, Math.max(1, Math.ceil(n / 256)));
}
