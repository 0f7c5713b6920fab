// Every optimizer: the GPU update against the CPU reference (parameters and every state slot after 1, 10
// and 100 steps), the reference against values computed independently for three steps, and options.
import { describe, expect, it } from 'vitest';
import { adadelta, adagrad, adam, adamax, adamw, lion, momentum, referenceState, nesterov, rmsprop, sgd, type OptimizerDef } from '../src/optim/index.js';
import { compareUpdate, OPTIMIZER_CONFIGS } from '../src/selftest/optim-cases.js';
import { allclose } from '../src/util/allclose.js';
import { gpu } from './helpers/gpu.js';

describe('GPU update equals the CPU reference after 1, 10 and 100 steps', () => {
  OPTIMIZER_CONFIGS.forEach(([name, make], i) => {
    it(name, async () => {
      const r = await compareUpdate(await gpu(), make(), [1, 10, 100], 17 + i);
      expect(r.pass, r.message).toBe(true);
    });
  });
});

// f(theta) = theta1^2 + 3 theta2^2 from (1, -2): the first three points, computed independently of this
// project (float64, by the published update rules; the TensorFlow forms by Keras's).
const HAND: [string, () => OptimizerDef, number[][]][] = [
  [
    'sgd',
    () => sgd({ lr: 0.1 }),
    [
      [0.8, -0.8],
      [0.64, -0.32],
      [0.512, -0.128],
    ],
  ],
  [
    'momentum',
    () => momentum({ lr: 0.1, momentum: 0.9 }),
    [
      [0.8, -0.8],
      [0.46, 0.76],
      [0.062, 1.708],
    ],
  ],
  [
    'nesterov',
    () => nesterov({ lr: 0.1, momentum: 0.9 }),
    [
      [0.62, 0.28],
      [0.2224, 0.9328],
      [-0.108352, 0.608128],
    ],
  ],
  [
    'adagrad',
    () => adagrad({ lr: 0.5 }),
    [
      [0.500000000025, -1.5000000000041667],
      [0.2763932022760768, -1.2000000000056334],
      [0.15639873604594765, -0.9836344662138985],
    ],
  ],
  [
    'adagrad, TensorFlow form',
    () => adagrad({ lr: 0.5, epsilon: 'inside', eps: 1e-7, initialAccumulator: 0.1 }),
    [
      [0.5061352076979465, -1.5001735209143838],
      [0.28255534470957167, -1.2002179555285533],
      [0.16145571653725455, -0.9838668740667038],
    ],
  ],
  [
    'adadelta',
    () => adadelta(),
    [
      [0.9968377262926713, -1.996837722449633],
      [0.9935981740783056, -1.9935957271271276],
      [0.990309045658058, -1.9903007496657101],
    ],
  ],
  [
    'rmsprop',
    () => rmsprop({ lr: 0.01 }),
    [
      [0.9000000049999998, -1.9000000008333333],
      [0.8329179679700331, -1.8309433266382498],
      [0.7799822732436351, -1.7753494426029548],
    ],
  ],
  [
    'rmsprop centred, momentum 0.9',
    () => rmsprop({ lr: 0.01, centered: true, momentum: 0.9 }),
    [
      [0.8994962235245836, -1.8994962193158296],
      [0.7413059808836701, -1.7392987474779606],
      [0.5496501653165236, -1.5406780138397496],
    ],
  ],
  [
    'adam',
    () => adam({ lr: 0.1 }),
    [
      [0.9000000005, -1.9000000000833333],
      [0.8004122286917928, -1.8001664857787731],
      [0.7015862729460303, -1.7006233915360325],
    ],
  ],
  [
    'adam, TensorFlow epsilon',
    () => adam({ lr: 0.1, epsilon: 'tensorflow', eps: 1e-7 }),
    [
      [0.900000158113633, -1.900000026352307],
      [0.8004125019437753, -1.8001665309873853],
      [0.7015866431267169, -1.7006234524622694],
    ],
  ],
  [
    'adamw, weight decay 0.1',
    () => adamw({ lr: 0.1, weightDecay: 0.1 }),
    [
      [0.8900000004999999, -1.8800000000833332],
      [0.7815718559365048, -1.7614089502485435],
      [0.6751012216400698, -1.6443686830529762],
    ],
  ],
  [
    'adamax',
    () => adamax({ lr: 0.1 }),
    [
      [0.9000000005, -1.9000000000833333],
      [0.805168327168774, -1.8025341132227886],
      [0.7154994733923282, -1.7076482350789348],
    ],
  ],
  [
    'adamax, TensorFlow epsilon',
    () => adamax({ lr: 0.1, epsilon: 'tensorflow', eps: 1e-7 }),
    [
      [0.9000000049999998, -1.9000000008333333],
      [0.805168335703866, -1.802534114684839],
      [0.7154994855061743, -1.707648237214705],
    ],
  ],
  [
    'lion',
    () => lion({ lr: 0.1 }),
    [
      [0.9, -1.9],
      [0.8, -1.8],
      [0.7, -1.7],
    ],
  ],
];

describe('the reference equals independently computed values for three steps', () => {
  for (const [name, make, want] of HAND) {
    it(name, () => {
      const def = make();
      const theta = Float32Array.of(1, -2);
      const state = referenceState(def, 2);
      const wd = def.weightDecay;
      for (let k = 1; k <= 3; k++) {
        const g = Float32Array.of(2 * theta[0]!, 6 * theta[1]!);
        def.reference(theta, g, state, { step: k, lr: def.lr, lrScale: [1, 1], weightDecay: [wd, wd], clipScale: 1, decoupled: def.decoupled });
        const r = allclose(theta, want[k - 1]!, { atol: 1e-6, rtol: 1e-6 });
        expect(r.ok, `${name} step ${k}: ${r.detail}`).toBe(true);
      }
    });
  }
});
