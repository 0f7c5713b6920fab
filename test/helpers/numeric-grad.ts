/** d f / d arr[k] for every k, by float64 central differences (arr is restored afterwards). */
export function numericGrad(f: () => number, arr: Float64Array, h = 1e-5): Float64Array {
  const g = new Float64Array(arr.length);
  for (let k = 0; k < arr.length; k++) {
    const keep = arr[k]!;
    arr[k] = keep + h;
    const up = f();
    arr[k] = keep - h;
    const down = f();
    arr[k] = keep;
    g[k] = (up - down) / (2 * h);
  }
  return g;
}
