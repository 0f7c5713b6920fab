import { BufferPool, type TypedData } from './buffers.js';
import type { AcquiredDevice, OptionalFeature } from './device.js';
import { DeviceError, ShaderCompileError } from '../core/errors.js';
import { Dispatch, Kernel, bindGroupLayouts, checkBindings, checkOverrides, compileErrors, type DispatchSpec, type Overrides } from './kernel.js';
import { ShaderInfo, packUniforms } from './shader.js';

/** Where shader sources come from: a name ('matmul', 'optim/sgd') to WGSL text. */
export type ShaderSource = (name: string) => string;

/** Where a runtime gets a replacement device after a loss; null: it cannot (an adopted device without getDevice). */
export type DeviceProvider = (() => Promise<AcquiredDevice>) | null;

/** A WebGPU device with Descent's buffers, reflected shaders and pipeline cache (made by createRuntime, src/runtime.ts). */
export class Runtime {
  private pool: BufferPool;
  private current: GPUDevice;
  /** Devices this runtime has had: 0 for the first, +1 per recover(); plans made on an older one are stale. */
  generation = 0;
  /** Where recover() gets a new device; set by createRuntime. */
  deviceProvider: DeviceProvider = null;
  private readonly shaderInfos = new Map<string, ShaderInfo>();
  private readonly modules = new Map<string, GPUShaderModule>();
  private readonly kernels = new Map<string, Promise<Kernel>>();
  private readonly extraShaders = new Map<string, string>();
  private lostReason: string | null = null;
  private readonly placeholderBuffers: GPUBuffer[] = [];
  private readonly uncaptured: string[] = [];
  private destroyed = false;
  private markLost!: (e: DeviceError) => void;
  private lostPromise!: Promise<DeviceError>;

  constructor(
    device: GPUDevice,
    readonly adapterInfo: GPUAdapterInfo,
    /** One line naming the adapter: vendor / architecture / device / driver. */
    readonly description: string,
    /** Optional features enabled on this device. */
    readonly features: ReadonlySet<OptionalFeature>,
    /** The adapter is a CPU implementation (lavapipe, SwiftShader): kernel variant choice differs there. */
    readonly isSoftware: boolean,
    /** Shader text by name: gpu/ knows no kernel, so the caller (createRuntime) supplies the shipped WGSL. */
    private readonly shaderSource: ShaderSource,
    /** False for a device the application handed in: destroy() then leaves it open. */
    private ownsDevice = true,
  ) {
    this.current = device;
    this.pool = new BufferPool(device, device.limits.maxBufferSize);
    this.watch(device);
  }

  /** The device in use: a new one after recover(). */
  get device(): GPUDevice {
    return this.current;
  }

  /** Buffers of the current device. */
  get buffers(): BufferPool {
    return this.pool;
  }

  /** Resolves (never rejects) with the DeviceError once the device is lost or the runtime destroyed: lets a wait end on loss. A new promise after recover(). */
  get whenLost(): Promise<DeviceError> {
    return this.lostPromise;
  }

  private watch(device: GPUDevice): void {
    this.lostPromise = new Promise((resolve) => (this.markLost = resolve));
    const mark = this.markLost;
    void device.lost.then((info) => {
      // A device replaced by recover() may report its loss late: it no longer concerns this runtime.
      if (device !== this.current) return;
      if (!this.destroyed) this.lostReason = `${info.reason}: ${info.message}`;
      mark(this.lostError());
    });
    // Errors no scope caught (a bad dispatch found at submit) would otherwise only be printed: keep them, and
    // fail the next read or sync with them.
    device.addEventListener('uncapturederror', this.onUncapturedError);
  }

  /** The device was lost (not destroyed with the runtime): recover() may replace it. */
  get lost(): boolean {
    return !this.destroyed && this.lostReason !== null;
  }

  /**
   * After a loss: open a new device from the provider, with the features the old one had, and start afresh on
   * it (no buffers, pipeline caches emptied; tuning choices stay). Everything made on the old device must be
   * made again (Network does this for its arenas and plans). DeviceError when there is no provider, the
   * provider fails, or the new device lacks a feature the old one had.
   */
  async recover(): Promise<void> {
    if (this.destroyed) throw this.lostError();
    if (this.lostReason === null) throw new DeviceError('recover(): the device is not lost; there is nothing to recover');
    const lostWhy = this.lostReason;
    if (!this.deviceProvider) {
      throw new DeviceError(
        `the GPU device was lost (${lostWhy}) and cannot be replaced: it was adopted from the application ` +
          '(createRuntime({ device })); pass getDevice as well to let Descent ask for a new one',
      );
    }
    let next: AcquiredDevice;
    try {
      next = await this.deviceProvider();
    } catch (e) {
      throw new DeviceError(`the GPU device was lost (${lostWhy}) and no new one could be had: ${(e as Error)?.message ?? String(e)}`);
    }
    if (this.destroyed) {
      if (next.owned) next.device.destroy();
      throw this.lostError();
    }
    const missing = [...this.features].filter((f) => !next.features.has(f));
    if (missing.length > 0) {
      if (next.owned) next.device.destroy();
      throw new DeviceError(`the GPU device was lost (${lostWhy}) and the new one lacks ${missing.join(', ')}, which the kernels were chosen for`);
    }
    this.current.removeEventListener('uncapturederror', this.onUncapturedError);
    // The old device's buffers are gone with it; destroying them only drops the pool's references.
    this.pool.freeAll();
    this.kernels.clear();
    this.modules.clear();
    this.placeholderBuffers.length = 0;
    this.uncaptured.length = 0;
    this.current = next.device;
    this.ownsDevice = next.owned;
    this.pool = new BufferPool(next.device, next.device.limits.maxBufferSize);
    this.lostReason = null;
    this.generation++;
    this.watch(next.device);
  }

  // Dawn holds an event listener, and so this runtime and everything it references, until it is removed.
  private readonly onUncapturedError = (ev: Event): void => {
    if (this.uncaptured.length < 8) this.uncaptured.push((ev as GPUUncapturedErrorEvent).error.message);
  };

  get limits(): GPUSupportedLimits {
    return this.device.limits;
  }

  /** False once the device is lost or the runtime destroyed: a flag test, cheap enough for every step. */
  get alive(): boolean {
    return !this.destroyed && this.lostReason === null;
  }

  /** Throw the DeviceError saying why the runtime cannot be used, if it cannot. */
  checkAlive(): void {
    if (!this.alive) throw this.lostError();
  }

  private lostError(): DeviceError {
    if (this.destroyed) return new DeviceError('this runtime was destroyed');
    return new DeviceError(`the GPU device was lost (${this.lostReason}); create a new runtime`);
  }

  /** Throw the GPU errors no one caught since the last check (validation errors raised at submit). */
  checkErrors(): void {
    if (this.uncaptured.length === 0) return;
    const msgs = this.uncaptured.splice(0);
    throw new DeviceError(`the GPU reported ${msgs.length === 8 ? 'at least 8' : msgs.length} error(s):\n${msgs.join('\n')}`);
  }

  /** Add or replace a shader by name (custom kernels, experiments). */
  registerShader(name: string, code: string): void {
    this.extraShaders.set(name, code);
    this.shaderInfos.delete(name);
    this.modules.delete(name);
    for (const k of [...this.kernels.keys()]) if (k.startsWith(`${name}|`)) this.kernels.delete(k);
  }

  /** The shader's reflection (parsed once). */
  shader(name: string): ShaderInfo {
    let info = this.shaderInfos.get(name);
    if (!info) {
      info = new ShaderInfo(name, this.extraShaders.get(name) ?? this.shaderSource(name));
      this.shaderInfos.set(name, info);
    }
    return info;
  }

  /** The compiled pipeline for shader + entry + override constants, cached by that key. */
  kernel(name: string, options: { entry?: string; constants?: Overrides } = {}): Promise<Kernel> {
    this.checkAlive();
    const info = this.shader(name);
    const entryName = options.entry ?? 'main';
    const entry = info.entry(entryName);
    const constants = checkOverrides(info, options.constants ?? {});
    const key = `${name}|${entryName}|${Object.keys(constants)
      .sort()
      .map((k) => `${k}=${constants[k]}`)
      .join(',')}`;
    let k = this.kernels.get(key);
    if (!k) {
      k = this.compile(info, entry, constants, key);
      this.kernels.set(key, k);
      k.catch(() => this.kernels.delete(key));
    }
    return k;
  }

  private async compile(info: ShaderInfo, entry: Kernel['entry'], constants: Record<string, number>, key: string) {
    let module = this.modules.get(info.name);
    if (!module) {
      // The scope keeps Dawn from also printing the compiler messages as an uncaptured error.
      this.device.pushErrorScope('validation');
      module = this.device.createShaderModule({ code: info.code, label: info.name });
      const err = await compileErrors(info, module);
      await this.device.popErrorScope();
      if (err) throw err;
      this.modules.set(info.name, module);
    }
    const layouts = bindGroupLayouts(this.device, info, entry);
    try {
      const pipeline = await this.device.createComputePipelineAsync({
        label: key,
        layout: this.device.createPipelineLayout({ bindGroupLayouts: layouts, label: key }),
        compute: { module, entryPoint: entry.name, constants },
      });
      return new Kernel(info, entry, pipeline, layouts, key);
    } catch (e) {
      throw new ShaderCompileError(`pipeline ${key} failed: ${(e as Error).message}`);
    }
  }

  /** Validate a dispatch against the kernel's bindings and sizes, then make its bind groups and uniform buffers. */
  prepare(kernel: Kernel, spec: DispatchSpec): Dispatch {
    this.checkAlive();
    const resolved = checkBindings(kernel, spec, this.limits);
    const uniformBuffers = new Map<string, GPUBuffer>();
    const label = spec.label ?? kernel.key;
    const entries: GPUBindGroupEntry[][] = kernel.layouts.map(() => []);
    for (const b of kernel.entry.bindings) {
      if (b.kind === 'uniform') {
        const layout = kernel.shader.uniformLayout(b.name);
        const data = packUniforms(kernel.shader.name, b.name, layout, spec.uniforms![b.name]!);
        const buf = this.buffers.create(layout.size, {
          usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
          label: `${label}:${b.name}`,
        });
        this.device.queue.writeBuffer(buf, 0, data);
        uniformBuffers.set(b.name, buf);
        entries[b.group]!.push({ binding: b.binding, resource: { buffer: buf } });
      } else {
        const r = resolved.get(b.name)!;
        entries[b.group]!.push({ binding: b.binding, resource: { buffer: r.buffer, offset: r.offset, size: r.size } });
      }
    }
    const bindGroups = kernel.layouts.map((layout, g) => this.device.createBindGroup({ layout, entries: entries[g]!, label: `${label}:group${g}` }));
    const [x, y = 1, z = 1] = spec.workgroups;
    return new Dispatch(kernel, bindGroups, [x, y, z], uniformBuffers, label, (buf, data) => this.device.queue.writeBuffer(buf, 0, data), spec.uniforms);
  }

  /** Free the uniform buffers a prepared dispatch owns. */
  release(dispatch: Dispatch): void {
    for (const b of dispatch.uniformBuffers.values()) this.buffers.free(b);
  }

  /** Encode the dispatches, in order, into one compute pass of one command buffer, and submit it. */
  run(dispatches: readonly Dispatch[], label = 'descent'): void {
    this.checkAlive();
    const enc = this.device.createCommandEncoder({ label });
    const pass = enc.beginComputePass({ label });
    for (const d of dispatches) d.encode(pass);
    pass.end();
    this.device.queue.submit([enc.finish()]);
  }

  /** Run one prepared dispatch now and free its uniform buffers. */
  runOnce(dispatch: Dispatch): void {
    this.run([dispatch], dispatch.label);
    this.release(dispatch);
  }

  /** A small buffer to fill a binding a dispatch declares but does not use (e.g. a matmul without bias). */
  get placeholder(): GPUBuffer {
    return this.placeholderAt(0);
  }

  /**
   * The k-th placeholder: writable bindings of one dispatch may not alias, so a dispatch that leaves several
   * writable bindings unused needs a distinct placeholder for each.
   */
  placeholderAt(k: number): GPUBuffer {
    while (this.placeholderBuffers.length <= k) {
      // 16 bytes: the smallest binding of a vec4 array.
      this.placeholderBuffers.push(this.buffers.create(16, { label: `placeholder${this.placeholderBuffers.length}` }));
    }
    return this.placeholderBuffers[k]!;
  }

  /** Resolves when all submitted work has finished. */
  async sync(): Promise<void> {
    await this.device.queue.onSubmittedWorkDone();
    this.checkAlive();
    this.checkErrors();
  }

  /** Upload typed data into a new storage buffer. */
  upload(data: TypedData, label?: string): GPUBuffer {
    this.checkAlive();
    return this.buffers.upload(data, label);
  }

  /** Read `length` floats (default: all) of a buffer back to the CPU. */
  async readF32(buffer: GPUBuffer, length = buffer.size / 4): Promise<Float32Array> {
    this.checkAlive();
    const data = new Float32Array(await this.buffers.read(buffer, length * 4));
    this.checkErrors();
    return data;
  }

  /** Free every buffer, and the device unless it was adopted (createRuntime({ device })). The runtime cannot be used afterwards. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.markLost(this.lostError());
    this.buffers.freeAll();
    this.kernels.clear();
    this.modules.clear();
    this.shaderInfos.clear();
    this.placeholderBuffers.length = 0;
    this.device.removeEventListener('uncapturederror', this.onUncapturedError);
    if (this.ownsDevice) this.device.destroy();
  }
}
