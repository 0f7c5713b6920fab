// Memory-bound kernels in GB/s (bytes read plus written), each next to a plain buffer copy moving the same
// bytes on the same adapter in the same run: the adapter's practical memory limit.
import type { Dispatch } from '../gpu/kernel.js';
import type { Runtime } from '../gpu/runtime.js';
import { Tensor } from '../gpu/tensor.js';
import { prepareAdd, prepareScale } from '../kernels/elementwise.js';
import { gridFor } from '../kernels/grid.js';
import { ArenaLayout } from '../nn/arena.js';
import type { OptimizerDef } from '../optim/optimizer.js';
import { UpdateRunner } from '../optim/runner.js';
import { Rng } from '../util/rng.js';
import { summarise, type Timing } from './timing.js';

export interface MemoryBenchRow {
  kernel: string;
  /** Bytes one run reads and writes. */
  bytes: number;
  timing: Timing;
  gbps: number;
  copyGbps: number;
  /** Kernel bandwidth over copy bandwidth. */
  ratio: number;
}

/** Wall clock per run of `encode`, batched `runs` to a command buffer, median of 5 after a warm-up. */
async function timeEncoded(rt: Runtime, encode: (enc: GPUCommandEncoder) => void, targetMs = 150): Promise<Timing> {
  const submit = (runs: number) => {
    const enc = rt.device.createCommandEncoder();
    for (let i = 0; i < runs; i++) encode(enc);
    rt.device.queue.submit([enc.finish()]);
  };
  submit(1);
  await rt.sync();
  let t0 = performance.now();
  submit(1);
  await rt.sync();
  const runs = Math.max(1, Math.min(200, Math.round(targetMs / Math.max(0.05, performance.now() - t0))));
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    t0 = performance.now();
    submit(runs);
    await rt.sync();
    samples.push((performance.now() - t0) / runs);
  }
  return summarise(samples, 'wall-clock');
}

const inPass = (dispatches: readonly Dispatch[]) => (enc: GPUCommandEncoder) => {
  const pass = enc.beginComputePass();
  for (const d of dispatches) d.encode(pass);
  pass.end();
};

/** A benchmark-only kernel: `reads` arrays of n floats read and `writes` written, a vec4 per invocation. */
async function prepareStreams(rt: Runtime, n: number, reads: number, writes: number): Promise<{ dispatch: Dispatch; release: () => void }> {
  const name = `bench_streams_${reads}_${writes}`;
  const decl = [
    ...Array.from({ length: reads }, (_, i) => `@group(0) @binding(${i + 1}) var<storage, read> r${i}: array<vec4<f32>>;`),
    ...Array.from({ length: writes }, (_, i) => `@group(0) @binding(${reads + i + 1}) var<storage, read_write> w${i}: array<vec4<f32>>;`),
  ];
  const sum = Array.from({ length: reads }, (_, i) => `r${i}[i]`).join(' + ');
  const body = Array.from({ length: writes }, (_, i) => `w${i}[i] = ${i === 0 ? 'v' : `v + vec4<f32>(${i}.0)`};`).join('\n  ');
  rt.registerShader(
    name,
    `struct Params { n4: u32 }
@group(0) @binding(0) var<uniform> params: Params;
${decl.join('\n')}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = (wid.y * nwg.x + wid.x) * 256u + lid.x;
  if (i >= params.n4) {
    return;
  }
  let v = ${sum};
  ${body}
}`,
  );
  const kernel = await rt.kernel(name);
  const buffers = Array.from({ length: reads + writes }, (_, i) => rt.buffers.create(4 * n, { label: `stream ${i}` }));
  const dispatch = rt.prepare(kernel, {
    buffers: Object.fromEntries(buffers.map((b, i) => [i < reads ? `r${i}` : `w${i - reads}`, b])),
    uniforms: { params: { n4: Math.ceil(n / 4) } },
    workgroups: gridFor(Math.ceil(n / 1024)),
    label: name,
  });
  return {
    dispatch,
    release: () => {
      rt.release(dispatch);
      for (const b of buffers) rt.buffers.free(b);
    },
  };
}

/** Element-wise kernels and every optimizer's update over `parameters` floats, each against a copy of its bytes. */
export async function benchMemory(
  rt: Runtime,
  optimizers: OptimizerDef[],
  options: { parameters?: number; log?: (row: MemoryBenchRow) => void } = {},
): Promise<MemoryBenchRow[]> {
  const n = options.parameters ?? 10_000_000;
  const rows: MemoryBenchRow[] = [];
  const copies = new Map<number, number>();
  const copyGbps = async (bytes: number) => {
    if (!copies.has(bytes)) {
      const half = Math.ceil(bytes / 8) * 4;
      const [src, dst] = [rt.buffers.create(half, { label: 'copy-src' }), rt.buffers.create(half, { label: 'copy-dst' })];
      const t = await timeEncoded(rt, (enc) => enc.copyBufferToBuffer(src, 0, dst, 0, half));
      rt.buffers.free(src);
      rt.buffers.free(dst);
      copies.set(bytes, (2 * half) / (t.median * 1e6));
    }
    return copies.get(bytes)!;
  };
  const record = async (kernel: string, bytes: number, timing: Timing) => {
    const gbps = bytes / (timing.median * 1e6);
    const copy = await copyGbps(bytes);
    const row = { kernel, bytes, timing, gbps, copyGbps: copy, ratio: gbps / copy };
    rows.push(row);
    options.log?.(row);
  };

  const rng = new Rng(1);
  const data = rng.floats(n, -1, 1);
  const [a, b, out] = [Tensor.from(rt, data, [n], 'a'), Tensor.from(rt, data, [n], 'b'), Tensor.zeros(rt, [n], 'out')];
  const scale = await prepareScale(rt, { a, out }, 0.5);
  await record('scale (out = alpha a)', 8 * n, await timeEncoded(rt, inPass([scale])));
  const add = await prepareAdd(rt, { a, b, out });
  await record('add (out = a + b)', 12 * n, await timeEncoded(rt, inPass([add])));
  for (const d of [scale, add]) rt.release(d);
  for (const t of [a, b, out]) t.destroy();

  // Ceilings: what any shader reaches on this adapter with the traffic of a copy and of Adam's update (vec4
  // loads and stores, one vec4 per invocation, no arithmetic): where these sit far below the copy, the
  // update is limited by the adapter's shader memory access, not by its own arithmetic.
  for (const [name, reads, writes] of [
    ['shader copy (1 read, 1 write; vec4)', 1, 1],
    ["shader streams (Adam's 4 reads, 3 writes; no arithmetic)", 4, 3],
  ] as const) {
    const streams = await prepareStreams(rt, n, reads, writes);
    await record(name, 4 * n * (reads + writes), await timeEncoded(rt, inPass([streams.dispatch])));
    streams.release();
  }

  const layout = new ArenaLayout([{ name: 'w', shape: [n], role: 'weight' }]);
  const params = rng.floats(layout.length, -1, 1);
  for (const def of optimizers) {
    const runner = await UpdateRunner.create(rt, layout, def, params);
    runner.setGradient(params);
    runner.step();
    const timing = await timeEncoded(rt, inPass([runner.update]));
    runner.destroy();
    // Gradient read, parameters read and written, each state slot read and written.
    await record(`update: ${def.name}`, n * 4 * (3 + 2 * def.state.length), timing);
  }
  return rows;
}
