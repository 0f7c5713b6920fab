// Colour ramps for the demo's canvases (contour maps, heat maps) and their legends, plus small formatting helpers.

export type Rgb = [number, number, number];

/** Surfaces: deep blue at the minimum through teal and green to a pale cream on the high walls. */
export const SURFACE_RAMP: readonly Rgb[] = [
  [22, 36, 84],
  [30, 78, 140],
  [38, 130, 160],
  [76, 175, 148],
  [160, 208, 140],
  [232, 232, 178],
  [250, 246, 226],
];

/** Signed surfaces (the saddle): blue below zero, pale at zero, warm above. */
export const SIGNED_RAMP: readonly Rgb[] = [
  [26, 52, 110],
  [62, 118, 178],
  [150, 196, 222],
  [246, 244, 236],
  [240, 196, 150],
  [214, 122, 86],
  [150, 50, 44],
];

/** Heat maps: black through purple and orange to pale yellow (magma-like). */
export const HEAT_RAMP: readonly Rgb[] = [
  [8, 6, 24],
  [48, 16, 96],
  [110, 30, 128],
  [178, 54, 118],
  [236, 96, 84],
  [252, 166, 96],
  [252, 238, 176],
];

/** The colour at t in [0, 1] (clamped) along a ramp, interpolated linearly between its stops. */
export function ramp(stops: readonly Rgb[], t: number): Rgb {
  const u = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(u));
  const f = u - i;
  const a = stops[i]!;
  const b = stops[i + 1]!;
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}

export function css(c: Rgb): string {
  return `rgb(${Math.round(c[0])}, ${Math.round(c[1])}, ${Math.round(c[2])})`;
}

/** A CSS linear-gradient along a ramp, for legend bars. */
export function gradientCss(stops: readonly Rgb[], direction = 'to right'): string {
  return `linear-gradient(${direction}, ${stops.map((s, i) => `${css(s)} ${((i / (stops.length - 1)) * 100).toFixed(1)}%`).join(', ')})`;
}

/** A short number for labels: 1e-7, 0.03, 12.5, 3.2e4. */
export function fmt(v: number, digits = 2): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) {
    const [m, e] = v.toExponential(digits - 1).split('e');
    return `${m!.replace(/\.?0+$/, '')}e${Number(e)}`;
  }
  return String(Number(v.toPrecision(digits + (a >= 100 ? 1 : 0))));
}

/** "Nice" tick positions covering [lo, hi], about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}
