/**
 * A small in-place radix-2 FFT (Cooley–Tukey, iterative, bit-reversal first) and the 2-D power
 * spectrum built from it: enough for the 32–128 px patches the moiré cue looks at, without a
 * dependency. Sizes must be powers of two.
 */
export function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

export function fftInPlace(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  if (!isPowerOfTwo(n) || im.length !== n) throw new RangeError(`fft: length ${n} is not a power of two or the parts differ`);
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      const tr = re[i] ?? 0;
      re[i] = re[j] ?? 0;
      re[j] = tr;
      const ti = im[i] ?? 0;
      im[i] = im[j] ?? 0;
      im[j] = ti;
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const angle = (-2 * Math.PI) / len;
    const wr = Math.cos(angle);
    const wi = Math.sin(angle);
    for (let start = 0; start < n; start += len) {
      let cr = 1;
      let ci = 0;
      for (let k = 0; k < len / 2; k++) {
        const a = start + k;
        const b = a + len / 2;
        const br = re[b] ?? 0;
        const bi = im[b] ?? 0;
        const tr = br * cr - bi * ci;
        const ti = br * ci + bi * cr;
        re[b] = (re[a] ?? 0) - tr;
        im[b] = (im[a] ?? 0) - ti;
        re[a] = (re[a] ?? 0) + tr;
        im[a] = (im[a] ?? 0) + ti;
        const next = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = next;
      }
    }
  }
}

/** |F(u, v)|² of an n x n real patch (row-major), n a power of two; index v * n + u, DC at 0. */
export function powerSpectrum2d(patch: Float64Array, n: number): Float64Array {
  const re = Float64Array.from(patch);
  const im = new Float64Array(n * n);
  const rowRe = new Float64Array(n);
  const rowIm = new Float64Array(n);
  for (let pass = 0; pass < 2; pass++) {
    for (let line = 0; line < n; line++) {
      // First pass along rows, second along columns.
      for (let k = 0; k < n; k++) {
        const idx = pass === 0 ? line * n + k : k * n + line;
        rowRe[k] = re[idx] ?? 0;
        rowIm[k] = im[idx] ?? 0;
      }
      fftInPlace(rowRe, rowIm);
      for (let k = 0; k < n; k++) {
        const idx = pass === 0 ? line * n + k : k * n + line;
        re[idx] = rowRe[k] ?? 0;
        im[idx] = rowIm[k] ?? 0;
      }
    }
  }
  const power = new Float64Array(n * n);
  for (let i = 0; i < power.length; i++) power[i] = (re[i] ?? 0) ** 2 + (im[i] ?? 0) ** 2;
  return power;
}
