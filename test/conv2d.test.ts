import { describe } from 'vitest';
import { convCases } from '../src/selftest/conv-cases.js';
import { itRunsCases } from './helpers/gpu.js';

describe('conv2d forward, dx, dw and db against the float64 reference', () => itRunsCases(convCases()));
