import { describe } from 'vitest';
import { lossCases } from '../src/selftest/cases.js';
import { itRunsCases } from './helpers/gpu.js';

describe('softmax cross-entropy and MSE against the CPU reference', () => itRunsCases(lossCases()));
