// Viridis, the perceptually uniform colour map of van der Walt and Smith (matplotlib 2.0's default,
// released CC0): every 8th of its 256 published sRGB entries (and the last), interpolated linearly
// back to 256. Lightness rises monotonically, so the map reads the same in greyscale and to the
// colour-blind.
const VIRIDIS_ANCHORS: [number, number, number][] = [
  [0.267004, 0.004874, 0.329415], [0.277018, 0.050344, 0.375715], [0.282327, 0.094955, 0.417331], [0.282884, 0.13592, 0.453427],
  [0.278826, 0.17549, 0.483397], [0.270595, 0.214069, 0.507052], [0.258965, 0.251537, 0.524736], [0.244972, 0.287675, 0.53726],
  [0.229739, 0.322361, 0.545706], [0.214298, 0.355619, 0.551184], [0.19943, 0.387607, 0.554642], [0.185556, 0.41857, 0.556753],
  [0.172719, 0.448791, 0.557885], [0.160665, 0.47854, 0.558115], [0.149039, 0.508051, 0.55725], [0.13777, 0.537492, 0.554906],
  [0.127568, 0.566949, 0.550556], [0.120565, 0.596422, 0.543611], [0.120638, 0.625828, 0.533488], [0.132268, 0.655014, 0.519661],
  [0.157851, 0.683765, 0.501686], [0.196571, 0.711827, 0.479221], [0.24607, 0.73891, 0.452024], [0.304148, 0.764704, 0.419943],
  [0.369214, 0.788888, 0.382914], [0.440137, 0.811138, 0.340967], [0.515992, 0.831158, 0.294279], [0.595839, 0.848717, 0.243329],
  [0.678489, 0.863742, 0.189503], [0.762373, 0.876424, 0.137064], [0.845561, 0.887322, 0.099702], [0.926106, 0.89733, 0.104071],
  [0.993248, 0.906157, 0.143936],
];
/** Entry index of each anchor: 0, 8, ..., 248, 255. */
const ANCHOR_AT = VIRIDIS_ANCHORS.map((_, i) => Math.min(255, i * 8));

/** 256 RGBA entries (alpha 255), entry 0 for the least attention. */
export function viridisLut(): Uint8ClampedArray {
  const lut = new Uint8ClampedArray(256 * 4);
  let a = 0;
  for (let e = 0; e < 256; e++) {
    while ((ANCHOR_AT[a + 1] as number) < e) a++;
    const from = VIRIDIS_ANCHORS[a] as [number, number, number];
    const to = VIRIDIS_ANCHORS[Math.min(a + 1, VIRIDIS_ANCHORS.length - 1)] as [number, number, number];
    const span = (ANCHOR_AT[a + 1] ?? 255) - (ANCHOR_AT[a] as number);
    const f = span > 0 ? (e - (ANCHOR_AT[a] as number)) / span : 0;
    for (let c = 0; c < 3; c++) lut[e * 4 + c] = Math.round(255 * ((from[c] as number) + f * ((to[c] as number) - (from[c] as number))));
    lut[e * 4 + 3] = 255;
  }
  return lut;
}

/** The LUT entry for t in [0, 1]. */
export function lutIndex(t: number): number {
  return Math.max(0, Math.min(255, Math.round(t * 255)));
}

export function cssColour(lut: Uint8ClampedArray, t: number): string {
  const e = lutIndex(t) * 4;
  return `rgb(${lut[e]}, ${lut[e + 1]}, ${lut[e + 2]})`;
}
