import { NoAdapterError, OptionError } from '../core/errors.js';

/** Options for acquiring the GPU device. */
export interface DeviceOptions {
  /** Use this `GPU` object instead of `navigator.gpu` / Dawn. */
  gpu?: GPU;
  powerPreference?: GPUPowerPreference;
  /**
   * Node only: which Vulkan driver Dawn loads. 'lavapipe' (Mesa's software rasteriser), 'swiftshader'
   * (Chromium's), or a path to an ICD .json. Defaults to $DESCENT_VULKAN_DRIVER, else the system's choice.
   */
  vulkanDriver?: string;
  /** Optional features to leave off even when the adapter has them (to test fallbacks). */
  disableFeatures?: OptionalFeature[];
  /**
   * Adopt a device the application already has instead of opening one. Descent uses it as it is (its features
   * and limits: request the adapter's maxima for large models) and leaves it open on `Runtime.destroy()`.
   */
  device?: GPUDevice;
}

/** WebGPU features Descent uses when the adapter has them, with a fallback when it does not. */
export type OptionalFeature = 'shader-f16' | 'subgroups' | 'timestamp-query';
export const OPTIONAL_FEATURES: readonly OptionalFeature[] = ['shader-f16', 'subgroups', 'timestamp-query'];

/** Limits the kernels rely on; requested at the adapter's maximum. */
const WANTED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
] as const;

const KNOWN_DRIVERS: Record<string, string[]> = {
  lavapipe: ['/usr/share/vulkan/icd.d/lvp_icd.json', '/usr/share/vulkan/icd.d/lvp_icd.x86_64.json'],
  swiftshader: ['/usr/lib/chromium/vk_swiftshader_icd.json'],
};

export const NODE_INSTALL_HINT =
  'In Node, Descent uses Dawn (the npm package "webgpu"), which needs a Vulkan driver. On a machine without a GPU, ' +
  'install Mesa\'s software driver "lavapipe" version 23 or newer and the Vulkan loader; on Debian 12 as root: ' +
  '`bash scripts/install-system-deps.sh` (adds bookworm-backports and installs mesa-vulkan-drivers and libvulkan1; ' +
  "Debian 12's own Mesa 22.3 is rejected by Dawn). With Chromium installed, DESCENT_VULKAN_DRIVER=swiftshader " +
  'selects its SwiftShader driver instead. On a machine with a GPU, install its vendor Vulkan driver.';

/** What Node says when the optional peer dependency `webgpu` is not installed. */
export const DAWN_MISSING =
  'WebGPU in Node comes from Dawn, the npm package "webgpu", an optional peer dependency of descent that is not ' +
  'installed: run `npm install webgpu`. (A browser has WebGPU built in and needs nothing more.)';

/** How to get WebGPU in a browser. */
export const BROWSER_ADVICE =
  'Use a recent Chrome or Edge (113+), Safari 26+ or Firefox 141+. Chromium on a machine without a usable GPU ' +
  'blocklists its CPU adapters: start it with --enable-unsafe-webgpu. WebGPU also needs a secure context ' +
  '(https, or http on localhost).';

export const BROWSER_INSTALL_HINT = `This browser does not expose WebGPU (navigator.gpu is missing). ${BROWSER_ADVICE}`;

export const isNode = (): boolean => typeof process !== 'undefined' && typeof process.versions === 'object' && !!process.versions.node;

let dawn: GPU | undefined;

/** Node: the Dawn `GPU` object Descent created in this process (undefined before the first runtime), to share it. */
export const dawnInstance = (): GPU | undefined => dawn;

/** The ICD file for a driver name or path; throws with install instructions when it is missing. */
async function resolveDriver(driver: string): Promise<string> {
  const candidates = KNOWN_DRIVERS[driver] ?? [driver];
  // Computed, like Dawn's, so browser bundles do not try to shim node:fs.
  const fsName = 'node:fs';
  const fs = (await import(/* @vite-ignore */ fsName)) as typeof import('node:fs');
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) {
    throw new NoAdapterError(`Vulkan driver '${driver}' not found (looked for ${candidates.join(', ')}). ${NODE_INSTALL_HINT}`);
  }
  return found;
}

/** A file path as a `file:` URL for `import()` (relative to the working directory). */
async function fileUrl(path: string): Promise<string> {
  const urlName = 'node:url';
  const url = (await import(/* @vite-ignore */ urlName)) as typeof import('node:url');
  return url.pathToFileURL(path).href;
}

// Dawn's instance is made once per process, so the Vulkan driver is fixed by the first runtime created.
async function dawnGpu(vulkanDriver: string | undefined): Promise<GPU> {
  const env = process.env;
  const driver = vulkanDriver ?? env.DESCENT_VULKAN_DRIVER;
  const icd = driver ? await resolveDriver(driver) : undefined;
  if (dawn) return dawn;
  // The Vulkan loader reads this when Dawn's instance is created, so it must be set first.
  if (icd) env.VK_ICD_FILENAMES = icd;
  env.XDG_RUNTIME_DIR ??= '/tmp';
  // A computed specifier keeps bundlers from pulling the native module into browser builds. A copy of the package's
  // entry may be named instead (the portable benchmark folder carries Dawn but no node_modules).
  const custom = env.DESCENT_WEBGPU_MODULE;
  const specifier = custom ? await fileUrl(custom) : 'webgpu';
  let mod: { create: (flags: string[]) => GPU; globals: Record<string, unknown> };
  try {
    mod = await import(/* @vite-ignore */ specifier);
  } catch (e) {
    const err = e as Error & { code?: string };
    // An optional peer dependency: a browser app never needs it, so a Node app installs it itself.
    if (!custom && err.code === 'ERR_MODULE_NOT_FOUND' && err.message.includes(`'${specifier}'`)) throw new NoAdapterError(DAWN_MISSING);
    const from = custom ? `DESCENT_WEBGPU_MODULE=${custom}` : 'npm package "webgpu"';
    throw new NoAdapterError(`cannot load Dawn (${from}): ${err.message}. ${NODE_INSTALL_HINT}`);
  }
  for (const [k, v] of Object.entries(mod.globals)) {
    if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  }
  dawn = mod.create([]);
  return dawn;
}

/** The adapter and device Descent runs on, with what was enabled. */
export interface AcquiredDevice {
  info: GPUAdapterInfo;
  device: GPUDevice;
  /** Descent opened the device, so it closes it; false for one adopted through `DeviceOptions.device`. */
  owned: boolean;
  features: Set<OptionalFeature>;
  description: string;
  /** The adapter is a fallback (CPU) implementation, by its own account or by name. */
  isFallback: boolean;
}

/** Human-readable one-line adapter description: vendor, architecture, device, driver. */
export function describeAdapter(info: GPUAdapterInfo): string {
  const parts = [info.vendor, info.architecture, info.device, info.description].filter((s) => s && s.length > 0);
  return [...new Set(parts)].join(' / ') || 'unknown adapter';
}

/** Find an adapter (browser or Dawn) and open a device with the limits and optional features Descent uses. */
export async function acquireDevice(options: DeviceOptions = {}): Promise<AcquiredDevice> {
  if (options.device !== undefined) return adoptDevice(options.device, new Set(options.disableFeatures ?? []));
  let gpu = options.gpu ?? (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) {
    if (!isNode()) throw new NoAdapterError(BROWSER_INSTALL_HINT);
    gpu = await dawnGpu(options.vulkanDriver);
  }
  const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  if (!adapter) {
    throw new NoAdapterError(`WebGPU returned no adapter. ${isNode() ? NODE_INSTALL_HINT : `The browser has WebGPU but offers no adapter. ${BROWSER_ADVICE}`}`);
  }
  const disabled = new Set(options.disableFeatures ?? []);
  const features = new Set(OPTIONAL_FEATURES.filter((f) => adapter.features.has(f) && !disabled.has(f)));
  const requiredLimits: Record<string, number> = {};
  for (const k of WANTED_LIMITS) {
    const v = adapter.limits[k];
    if (typeof v === 'number') requiredLimits[k] = v;
  }
  const device = await adapter.requestDevice({
    label: 'descent',
    requiredFeatures: [...features] as GPUFeatureName[],
    requiredLimits,
  });
  return { info: adapter.info, device, owned: true, features, ...classify(adapter.info) };
}

function classify(info: GPUAdapterInfo): { description: string; isFallback: boolean } {
  const description = describeAdapter(info);
  const flagged = (info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  return { description, isFallback: flagged || /llvmpipe|lavapipe|swiftshader|software/i.test(description) };
}

function adoptDevice(device: GPUDevice, disabled: ReadonlySet<OptionalFeature>): AcquiredDevice {
  const looksLikeDevice = typeof device === 'object' && device !== null && 'queue' in device && 'createBuffer' in device;
  if (!looksLikeDevice) throw new OptionError(`createRuntime: 'device' must be a GPUDevice, got ${device === null ? 'null' : typeof device}`);
  const features = new Set(OPTIONAL_FEATURES.filter((f) => device.features.has(f) && !disabled.has(f)));
  // adapterInfo is on GPUDevice since Chrome 129; an older browser's device still works, only unnamed.
  const info = (device as Partial<GPUDevice>).adapterInfo ?? ({ vendor: '', architecture: '', device: '', description: '' } as GPUAdapterInfo);
  return { info, device, owned: false, features, ...classify(info) };
}
