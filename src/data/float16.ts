// IEEE 754 half precision <-> float32. Readers keep float16 features as raw bits; consumers widen them here.

let table: Float32Array | undefined;

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

function lookupTable(): Float32Array {
  if (!table) {
    table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) table[h] = halfToFloat(h);
  }
  return table;
}

/** Widens float16 bit patterns to float32 (exact). `out` is reused when given; it must hold bits.length values. */
export function float16BitsToFloat32(bits: Uint16Array, out?: Float32Array): Float32Array {
  const t = lookupTable();
  const res = out ?? new Float32Array(bits.length);
  if (res.length < bits.length) throw new RangeError(`float16BitsToFloat32: out holds ${res.length} values, need ${bits.length}`);
  for (let i = 0; i < bits.length; i++) res[i] = t[bits[i]!]!;
  return res;
}

/** The float32 value of one float16 bit pattern. */
export function float16ToNumber(bits: number): number {
  return lookupTable()[bits & 0xffff]!;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** One value to float16 bits, rounding to nearest, ties to even (as numpy and torch do). */
export function numberToFloat16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0]!;
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 112; // rebias 127 -> 15
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    // Subnormal half: the 24-bit significand shifted into the 10-bit field.
    const full = mant | 0x800000;
    const shift = 14 - e;
    let half = full >>> shift;
    const rem = full & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (half & 1) !== 0)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to infinity).
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1) !== 0)) half++;
  return sign | half;
}

/** Narrows float32 values to float16 bits with round-to-nearest-even. `out` is reused when given. */
export function float32ToFloat16Bits(values: Float32Array | readonly number[], out?: Uint16Array): Uint16Array {
  const res = out ?? new Uint16Array(values.length);
  if (res.length < values.length) throw new RangeError(`float32ToFloat16Bits: out holds ${res.length} values, need ${values.length}`);
  for (let i = 0; i < values.length; i++) res[i] = numberToFloat16Bits(values[i]!);
  return res;
}
