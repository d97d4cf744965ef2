// The fused WebGPU execution path of gated ABMIL and CLAM-SB: one submit per training step, losses summed on the
// device and read back only when asked, bags kept resident on the device within a memory budget, and
// evaluations batched into one read-back per flush.
import type { Bag } from '../../data/types.js';
import type { RegulariserKind } from '../lossTerms.js';
import { abmilParamShapes } from '../models/abmil.js';
import { clamParamShapes } from '../models/clam.js';
import type { ModelShape } from '../models/types.js';
import { addTermSums, emptyLosses, type LossSums, type TrainingRunner, type WeightsState } from '../runner.js';
import type { BagEvaluation, Objective } from '../step.js';
import { GatedLayout, dimsOf } from './gatedLayout.js';
import { FusedUnsupportedError } from './unsupported.js';

export { FusedUnsupportedError };
import type { FusedDevice } from './dawn.js';
import { EVAL_SLOTS, FusedGatedMil, LOSS_SLOTS, type InstanceBranch } from './fusedGatedMil.js';
import type { GemmKind } from './kernels/gemm.js';

/** Steps queued on the device before the host waits for the oldest. */
const MAX_IN_FLIGHT = 2;
/** Attention values staged for one evaluation read-back (grows for a larger bag). */
const EVAL_ATTENTION_FLOATS = 1 << 22;

interface PendingEval {
  slot: number;
  offset: number;
  n: number;
  resolve: (r: BagEvaluation) => void;
  reject: (e: Error) => void;
}

interface DeviceFeatures {
  buffer: GPUBuffer;
  key: string;
  n: number;
  /** float16 pairs rather than float32 values. */
  halves: boolean;
}

const paddedBytes = (bytes: number) => Math.ceil(bytes / 4) * 4;

interface Resident {
  halves: boolean;
  buffer: GPUBuffer;
  n: number;
}

export interface FusedRunnerOptions {
  shape: ModelShape;
  initial: ReadonlyMap<string, Float32Array>;
  regulariser: RegulariserKind;
  weightDecay: number;
  /** Device memory for bags kept resident between epochs, bytes. */
  residentBytes: number;
  /** Forces one GEMM kind (tests); by default each product's kind follows from its widths. */
  gemmKind?: GemmKind;
  /** CLAM-SB's instance clustering (with the first layer's bias); without it the model is gated ABMIL. */
  instance?: InstanceBranch;
}

export class FusedRunner implements TrainingRunner {
  readonly arch: 'abmil' | 'clam_sb';
  readonly path = 'fused' as const;
  readonly lossesEachStep = false;
  readonly paramShapes: ReadonlyMap<string, number[]>;
  readonly model: FusedGatedMil;
  private readonly device: GPUDevice;
  private readonly layout: GatedLayout;
  private adamStep = 0;
  /** Steps of each AdamW group (layout.groups): an instance classifier steps only when a step trains it. */
  private groupCounts: number[];
  private lastStepped: boolean[];
  private inFlight: Promise<unknown>[] = [];
  private readonly resident = new Map<string, Resident>();
  private hostRows32 = new Float32Array(0);
  private hostRows16 = new Uint16Array(0);
  private residentUsed = 0;
  private pending: PendingEval[] = [];
  private attentionUsed = 0;
  private attentionStaging: GPUBuffer;
  private readonly outStaging: GPUBuffer;
  private readonly lossStaging: GPUBuffer;
  private failure: string | undefined;
  /** Steps whose losses are still only on the device, and sums read early because the log was full. */
  private unreadSteps = 0;
  private carried: LossSums = emptyLosses();

  private constructor(
    gpu: FusedDevice,
    private readonly options: FusedRunnerOptions,
  ) {
    this.device = gpu.device;
    const instance = options.instance;
    this.arch = instance ? 'clam_sb' : 'abmil';
    this.layout = instance ? GatedLayout.clam(dimsOf(options.shape)) : GatedLayout.abmil(dimsOf(options.shape));
    this.model = new FusedGatedMil(this.device, this.layout, options.regulariser, gpu.maxBinding, options.gemmKind, instance);
    this.paramShapes = new Map(
      Object.entries(instance ? clamParamShapes({ ...options.shape, kSample: instance.kSample, instanceLoss: instance.loss, subtyping: instance.subtyping, bagWeight: instance.bagWeight }) : abmilParamShapes(options.shape)),
    );
    this.groupCounts = this.layout.groups.map(() => 0);
    this.lastStepped = this.layout.groups.map(() => false);
    const read = GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST;
    this.attentionStaging = this.device.createBuffer({ label: 'attention read-back', size: EVAL_ATTENTION_FLOATS * 4, usage: read });
    this.outStaging = this.device.createBuffer({ label: 'eval read-back', size: EVAL_SLOTS * this.model.evalStride * 4, usage: read });
    this.lossStaging = this.device.createBuffer({ label: 'read-back', size: Math.max(LOSS_SLOTS * 16, this.layout.size * 4 * 3), usage: read });
    this.device.queue.writeBuffer(this.model.buffer('params'), 0, this.layout.pack(options.initial));
  }

  /** Builds the runner; shader or pipeline errors surface here, with the kernel's name. */
  static async create(gpu: FusedDevice, options: FusedRunnerOptions): Promise<FusedRunner> {
    if (options.shape.dropout > 0) throw new FusedUnsupportedError('model.dropout > 0');
    gpu.device.pushErrorScope('validation');
    let runner: FusedRunner;
    try {
      runner = new FusedRunner(gpu, options);
    } catch (err) {
      await gpu.device.popErrorScope();
      throw err;
    }
    const error = await gpu.device.popErrorScope();
    if (error) {
      runner.dispose();
      throw new Error(`the fused WebGPU kernels did not compile on this device: ${error.message}`);
    }
    gpu.device.onuncapturederror = (e) => (runner.failure ??= e.error.message);
    return runner;
  }

  private check(): void {
    if (this.failure) throw new Error(`WebGPU error on the fused path: ${this.failure}`);
  }

  /**
   * The bag's features on the device: its resident buffer, or the shared one after an upload. Float16
   * files stay float16 there (two values a word, half the memory and the upload), float32 stay float32.
   */
  private features(bag: Bag, rows: Int32Array | undefined): DeviceFeatures {
    const n = rows ? rows.length : bag.n;
    this.model.ensureCapacity(n);
    const d = bag.d;
    const halves = bag.dtype === 'float16';
    const full = bag.features as Float32Array | Uint16Array;
    if (!rows) {
      const kept = this.resident.get(bag.slideId);
      if (kept && kept.n === bag.n && kept.halves === halves) return { buffer: kept.buffer, key: `bag:${bag.slideId}`, n, halves };
      const bytes = paddedBytes(full.byteLength);
      if (!kept && this.residentUsed + bytes <= this.options.residentBytes) {
        const buffer = this.device.createBuffer({ label: `bag ${bag.slideId}`, size: Math.max(16, bytes), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST, mappedAtCreation: true });
        new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(full.buffer, full.byteOffset, full.byteLength));
        buffer.unmap();
        this.resident.set(bag.slideId, { buffer, n: bag.n, halves });
        this.residentUsed += bytes;
        return { buffer, key: `bag:${bag.slideId}`, n, halves };
      }
      this.upload(full);
      return { buffer: this.model.buffer('x'), key: 'shared', n, halves };
    }
    const picked = this.hostRowsFor(halves, n * d);
    rows.forEach((r, i) => picked.set(full.subarray(r * d, (r + 1) * d), i * d));
    this.upload(picked.subarray(0, n * d));
    return { buffer: this.model.buffer('x'), key: 'shared', n, halves };
  }

  /** A reused host array for the sampled rows of a bag. */
  private hostRowsFor(halves: boolean, length: number): Float32Array | Uint16Array {
    const capacity = Math.max(length, this.model.instanceCapacity * this.layout.dims.d);
    if (halves) return this.hostRows16.length >= length ? this.hostRows16 : (this.hostRows16 = new Uint16Array(capacity));
    return this.hostRows32.length >= length ? this.hostRows32 : (this.hostRows32 = new Float32Array(capacity));
  }

  /** Writes features into the shared x buffer (writeBuffer needs a multiple of 4 bytes: an odd count of halves is padded). */
  private upload(values: Float32Array | Uint16Array): void {
    const bytes = values.byteLength;
    if (bytes % 4 === 0) {
      this.device.queue.writeBuffer(this.model.buffer('x'), 0, values.buffer, values.byteOffset, bytes);
      return;
    }
    const padded = new Uint8Array(paddedBytes(bytes));
    padded.set(new Uint8Array(values.buffer, values.byteOffset, bytes));
    this.device.queue.writeBuffer(this.model.buffer('x'), 0, padded);
  }

  private submit(record: (encoder: GPUCommandEncoder) => void): void {
    const encoder = this.device.createCommandEncoder();
    record(encoder);
    this.device.queue.submit([encoder.finish()]);
  }

  async step(bag: Bag, rows: Int32Array | undefined, label: number, objective: Objective, lr: number): Promise<void> {
    this.check();
    if (objective.regulariser !== this.options.regulariser) throw new Error(`the fused path was built for the ${this.options.regulariser} regulariser, not ${objective.regulariser}`);
    if (this.unreadSteps === LOSS_SLOTS) this.carried = addLosses(this.carried, await this.readLosses());
    const x = this.features(bag, rows);
    this.adamStep += 1;
    this.lastStepped = this.model.groupsStepped(label);
    this.groupCounts = this.groupCounts.map((t, g) => (this.lastStepped[g] ? t + 1 : t));
    const groupSteps = this.groupCounts.map((t, g) => (this.lastStepped[g] ? t : 0));
    this.model.writeScalars({ n: x.n, label, lambda: objective.lambda, lr, weightDecay: this.options.weightDecay, adamStep: this.adamStep, train: true, slot: this.unreadSteps, groupSteps });
    this.unreadSteps += 1;
    this.submit((encoder) => {
      const pass = encoder.beginComputePass();
      this.model.encode(pass, x.n, true, x.buffer, x.key, x.halves);
      pass.end();
    });
    this.inFlight.push(this.device.queue.onSubmittedWorkDone());
    while (this.inFlight.length > MAX_IN_FLIGHT) await this.inFlight.shift();
  }

  private async readBack(staging: GPUBuffer, bytes: number): Promise<Float32Array> {
    await staging.mapAsync(GPUMapMode.READ, 0, bytes);
    const values = new Float32Array(staging.getMappedRange(0, bytes).slice(0));
    staging.unmap();
    this.check();
    return values;
  }

  /** The losses of the unread steps, summed on the host in step order (as the tfjs path sums them). */
  private async readLosses(): Promise<LossSums> {
    const count = this.unreadSteps;
    this.unreadSteps = 0;
    if (count === 0) return emptyLosses();
    this.submit((encoder) => encoder.copyBufferToBuffer(this.model.buffer('lossLog'), 0, this.lossStaging, 0, count * 16));
    this.inFlight = [];
    const log = await this.readBack(this.lossStaging, count * 16);
    const sums = emptyLosses();
    let instance = 0;
    for (let i = 0; i < count; i++) {
      sums.loss += log[i * 4] as number;
      sums.ce += log[i * 4 + 1] as number;
      sums.regulariser += log[i * 4 + 2] as number;
      instance += log[i * 4 + 3] as number;
    }
    sums.bags = count;
    if (this.options.instance) sums.terms = { instance };
    return sums;
  }

  lastEntropyNormalised(): number | null {
    // Reading it back each step would cost the path its one submit per step; coverage.ts keeps
    // aem.schedule "auto" off this path, so this is never asked.
    throw new Error('the fused WebGPU path does not read the attention entropy back per step (aem.schedule "auto" runs on the tfjs path)');
  }

  async takeLosses(): Promise<LossSums> {
    this.check();
    const sums = addLosses(this.carried, await this.readLosses());
    this.carried = emptyLosses();
    return sums;
  }

  async evaluate(bag: Bag, label: number, objective: Objective): Promise<BagEvaluation> {
    this.check();
    if (this.pending.length >= EVAL_SLOTS || this.attentionUsed + bag.n > this.attentionStaging.size / 4) await this.flush();
    if (bag.n * 4 > this.attentionStaging.size) {
      this.attentionStaging.destroy();
      this.attentionStaging = this.device.createBuffer({ label: 'attention read-back', size: bag.n * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    }
    const x = this.features(bag, undefined);
    const slot = this.pending.length;
    const offset = this.attentionUsed;
    this.model.writeScalars({ n: bag.n, label, lambda: objective.lambda, lr: 0, weightDecay: 0, adamStep: 1, train: false, slot });
    this.submit((encoder) => {
      const pass = encoder.beginComputePass();
      this.model.encode(pass, bag.n, false, x.buffer, x.key, x.halves);
      pass.end();
      encoder.copyBufferToBuffer(this.model.buffer('a'), 0, this.attentionStaging, offset * 4, bag.n * 4);
    });
    this.attentionUsed += bag.n;
    return new Promise<BagEvaluation>((resolve, reject) => this.pending.push({ slot, offset, n: bag.n, resolve, reject }));
  }

  async flush(): Promise<void> {
    const pending = this.pending;
    if (pending.length === 0) return;
    this.pending = [];
    const used = this.attentionUsed;
    this.attentionUsed = 0;
    const stride = this.model.evalStride;
    try {
      this.submit((encoder) => encoder.copyBufferToBuffer(this.model.buffer('evalOut'), 0, this.outStaging, 0, pending.length * stride * 4));
      const [outputs, attention] = await Promise.all([this.readBack(this.outStaging, pending.length * stride * 4), this.readBack(this.attentionStaging, Math.max(4, used * 4))]);
      const c = this.layout.dims.c;
      for (const p of pending) {
        const o = p.slot * stride;
        p.resolve({
          probs: outputs.slice(o, o + c),
          total: outputs[o + 2 * c] as number,
          ce: outputs[o + 2 * c + 1] as number,
          terms: this.options.instance ? { instance: outputs[o + 2 * c + 3] as number } : {},
          regulariser: outputs[o + 2 * c + 2] as number,
          attention: attention.slice(p.offset, p.offset + p.n),
          heads: 1,
        });
      }
    } catch (err) {
      for (const p of pending) p.reject(err as Error);
      throw err;
    }
  }

  /** Values of one of the device buffers (for the parity tests; instIds holds u32 values). */
  async readFlat(name: 'params' | 'grads' | 's' | 'stats' | 'evalOut' | 'instIds', floats: number): Promise<Float32Array> {
    this.submit((encoder) => encoder.copyBufferToBuffer(this.model.buffer(name), 0, this.lossStaging, 0, floats * 4));
    return this.readBack(this.lossStaging, floats * 4);
  }

  /** Named gradients of the last step (for the parity tests); a parameter the step gave none is absent. */
  async gradients(): Promise<Map<string, Float32Array>> {
    const all = this.layout.unpack(await this.readFlat('grads', this.layout.size));
    this.layout.groups.forEach((g, i) => {
      if (!this.lastStepped[i]) for (const name of g.names) all.delete(name);
    });
    return all;
  }

  async exportState(): Promise<WeightsState> {
    this.check();
    const P = this.layout.size;
    this.submit((encoder) => {
      encoder.copyBufferToBuffer(this.model.buffer('params'), 0, this.lossStaging, 0, P * 4);
      encoder.copyBufferToBuffer(this.model.buffer('m1'), 0, this.lossStaging, P * 4, P * 4);
      encoder.copyBufferToBuffer(this.model.buffer('m2'), 0, this.lossStaging, 2 * P * 4, P * 4);
    });
    const all = await this.readBack(this.lossStaging, 3 * P * 4);
    const lagging = this.layout.groups.flatMap((g, i) => ((this.groupCounts[i] as number) === this.adamStep ? [] : g.names.map((name) => [name, this.groupCounts[i] as number] as const)));
    return {
      step: this.adamStep,
      ...(lagging.length > 0 ? { paramSteps: new Map(lagging) } : {}),
      params: this.layout.unpack(all.subarray(0, P)),
      m: this.layout.unpack(all.subarray(P, 2 * P)),
      v: this.layout.unpack(all.subarray(2 * P, 3 * P)),
    };
  }

  importState(state: WeightsState): void {
    const q = this.device.queue;
    q.writeBuffer(this.model.buffer('params'), 0, this.layout.pack(state.params));
    q.writeBuffer(this.model.buffer('m1'), 0, this.layout.pack(state.m));
    q.writeBuffer(this.model.buffer('m2'), 0, this.layout.pack(state.v));
    this.adamStep = state.step;
    this.groupCounts = this.layout.groups.map((g) => {
      const steps = g.names.map((name) => state.paramSteps?.get(name) ?? state.step);
      if (steps.some((t) => t !== steps[0])) throw new Error(`checkpoint: the parameters ${g.names.join(', ')} have different AdamW step counts, which the fused path keeps as one`);
      return steps[0] as number;
    });
  }

  /** Bytes of bag features kept on the device. */
  get residentFeatureBytes(): number {
    return this.residentUsed;
  }

  dispose(): void {
    for (const r of this.resident.values()) r.buffer.destroy();
    this.resident.clear();
    this.model.destroy();
    this.attentionStaging.destroy();
    this.outStaging.destroy();
    this.lossStaging.destroy();
  }
}

function addLosses(a: LossSums, b: LossSums): LossSums {
  const sums: LossSums = { loss: a.loss + b.loss, ce: a.ce + b.ce, regulariser: a.regulariser + b.regulariser, bags: a.bags + b.bags };
  if (a.terms || b.terms) sums.terms = addTermSums(addTermSums({}, a.terms), b.terms);
  return sums;
}
