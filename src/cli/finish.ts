// The end every `descent train` run shares: save the parameters when asked, then free the network and the device.
import { writeFile } from 'node:fs/promises';
import type { Runtime } from '../gpu/runtime.js';
import { saveSafetensors } from '../train/checkpoint.js';
import type { Network } from '../train/network.js';

/** Write the parameters to `save` (a .safetensors path) if given, destroy the network and runtime; exit code 0. */
export async function saveAndClose(net: Network, rt: Runtime, save: string | undefined): Promise<number> {
  if (save) {
    await writeFile(save, await saveSafetensors(net));
    console.log(`saved parameters to ${save}`);
  }
  await net.destroy();
  rt.destroy();
  return 0;
}
