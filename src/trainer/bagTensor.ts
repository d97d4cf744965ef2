// A bag's features as a float32 tensor (float16 widened), optionally only some rows.
import * as tf from '@tensorflow/tfjs-core';
import { float16BitsToFloat32 } from '../data/float16.js';
import type { Bag } from '../data/types.js';

export function bagToTensor(bag: Bag, rows?: Int32Array): tf.Tensor2D {
  const full = bag.dtype === 'float16' ? float16BitsToFloat32(bag.features as Uint16Array) : (bag.features as Float32Array);
  if (!rows) return tf.tensor2d(full, [bag.n, bag.d]);
  const picked = new Float32Array(rows.length * bag.d);
  rows.forEach((r, i) => picked.set(full.subarray(r * bag.d, (r + 1) * bag.d), i * bag.d));
  return tf.tensor2d(picked, [rows.length, bag.d]);
}
