import { describe } from 'vitest';
import { batchNormCases, layerNormCases } from '../src/selftest/cases.js';
import { batchNormGuardCases } from '../src/selftest/norm-guard-cases.js';
import { itRunsCases } from './helpers/gpu.js';

describe('LayerNorm forward and backward against the CPU reference', () => itRunsCases(layerNormCases()));
describe('BatchNorm train, eval and backward against the CPU reference', () => itRunsCases(batchNormCases()));
describe('BatchNorm forward_batch and the guarded commit against the CPU reference', () => itRunsCases(batchNormGuardCases()));
