// CPU reference for shaders/surface.wgsl: the two-parameter test functions and their gradients, in float64.

/** The 2-D test functions optimizers can be run on. */
export const SURFACE_NAMES = ['rosenbrock', 'bowl', 'saddle', 'beale', 'himmelblau'] as const;
/** A 2-D test function by name. */
export type SurfaceName = (typeof SURFACE_NAMES)[number];

/** f(x, y). */
export function surfaceValue(name: SurfaceName, x: number, y: number): number {
  switch (name) {
    case 'rosenbrock':
      return (1 - x) ** 2 + 100 * (y - x * x) ** 2;
    case 'bowl':
      return x * x + 10 * y * y;
    case 'saddle':
      return x * x - y * y;
    case 'beale':
      return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y ** 2) ** 2 + (2.625 - x + x * y ** 3) ** 2;
    case 'himmelblau':
      return (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2;
  }
}

/** The gradient of f at (x, y), derived by hand. */
export function surfaceGradient(name: SurfaceName, x: number, y: number): [number, number] {
  switch (name) {
    case 'rosenbrock':
      return [-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)];
    case 'bowl':
      return [2 * x, 20 * y];
    case 'saddle':
      return [2 * x, -2 * y];
    case 'beale': {
      const [a, b, c] = [1.5 - x + x * y, 2.25 - x + x * y ** 2, 2.625 - x + x * y ** 3];
      return [2 * a * (y - 1) + 2 * b * (y ** 2 - 1) + 2 * c * (y ** 3 - 1), 2 * a * x + 4 * b * x * y + 6 * c * x * y ** 2];
    }
    case 'himmelblau': {
      const [a, b] = [x * x + y - 11, x + y * y - 7];
      return [4 * a * x + 2 * b, 2 * a + 4 * b * y];
    }
  }
}
