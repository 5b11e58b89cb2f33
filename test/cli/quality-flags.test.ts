import { describe, expect, it } from 'vitest';
import { parseQualityArgs } from '../../src/cli/quality.js';

describe('quality --seeds and --steps', () => {
  it("are held to the scenario schema's caps, naming the flag", () => {
    expect(parseQualityArgs(['a.ts', '--seeds', '1000', '--steps', '10000000'])).toMatchObject({ seeds: 1000, steps: 10_000_000 });
    expect(() => parseQualityArgs(['a.ts', '--seeds', '1001'])).toThrow("--seeds: 1001 is more than 1000, the most a scenario's quality section allows");
    expect(() => parseQualityArgs(['a.ts', '--steps', '99999999999'])).toThrow("--steps: 99999999999 is more than 10000000, the most a scenario's quality section allows");
  });
});
