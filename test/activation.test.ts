import { describe } from 'vitest';
import { activationCases } from '../src/selftest/cases.js';
import { itRunsCases } from './helpers/gpu.js';

describe('activations forward and backward against the CPU reference', () => itRunsCases(activationCases()));
