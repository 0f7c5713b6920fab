import { describe } from 'vitest';
import { reduceCases } from '../src/selftest/cases.js';
import { itRunsCases } from './helpers/gpu.js';

describe('sum_rows and accumulate against the CPU reference', () => itRunsCases(reduceCases()));
