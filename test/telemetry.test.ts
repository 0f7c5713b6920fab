import { describe } from 'vitest';
import { telemetryCases } from '../src/selftest/cases.js';
import { itRunsCases } from './helpers/gpu.js';

describe('telemetry against the CPU reference', () => itRunsCases(telemetryCases()));
