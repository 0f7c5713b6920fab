// createRuntime: a device from gpu/, the shaders shipped in shaders/, and the matmul tuning for the adapter.
// It sits above gpu/ and kernels/ so that gpu/ knows no kernel.
import { acquireDevice, type DeviceOptions } from './gpu/device.js';
import { Runtime, type ShaderSource } from './gpu/runtime.js';
import { defaultTuningStore, tuneMatmul, tuningKey } from './kernels/autotune.js';
import { shaderSource } from './kernels/sources.js';
import { installMatmulChoices } from './kernels/tuning.js';

export interface RuntimeOptions extends DeviceOptions {
  /** Shader lookup; defaults to the WGSL files shipped in shaders/. */
  shaders?: ShaderSource;
  /**
   * Matmul kernel tuning for this adapter: 'cached' (default) uses a stored tuning if there is one,
   * 'measure' tunes now unless one is stored (a few seconds, once per adapter), 'off' uses the untuned defaults.
   */
  tuning?: 'cached' | 'measure' | 'off';
  /**
   * With an adopted `device`: how to get a replacement after it is lost, so that training can recover
   * (fit's snapshots). Without it, an adopted device that is lost cannot be replaced. Descent's own devices
   * are replaced from the same `gpu` / adapter options.
   */
  getDevice?: () => GPUDevice | Promise<GPUDevice>;
}

/** Acquire a GPU device (browser or Dawn in Node), or adopt `options.device`, and wrap it in a Runtime. */
export async function createRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  const { device, info, owned, features, description, isFallback } = await acquireDevice(options);
  const rt = new Runtime(device, info, description, features, isFallback, options.shaders ?? shaderSource, owned);
  const { getDevice } = options;
  if (options.device === undefined) rt.deviceProvider = () => acquireDevice(options);
  else if (getDevice) rt.deviceProvider = async () => acquireDevice({ ...options, device: await getDevice() });
  const tuning = options.tuning ?? 'cached';
  if (tuning === 'measure') await tuneMatmul(rt);
  else if (tuning === 'cached') {
    const stored = await defaultTuningStore().load(tuningKey(rt));
    if (stored) installMatmulChoices(rt, stored.choices);
  }
  return rt;
}
