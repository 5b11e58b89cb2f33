import { describe, expect, it } from 'vitest';
import { parseQualityArgs, USAGE } from '../../src/cli/quality.js';

describe('quality --seeds and --steps', () => {
  it("are held to the scenario schema's caps, naming the flag", () => {
    expect(parseQualityArgs(['a.ts', '--seeds', '1000', '--steps', '10000000'])).toMatchObject({ seeds: 1000, steps: 10_000_000 });
    expect(() => parseQualityArgs(['a.ts', '--seeds', '1001'])).toThrow("--seeds: 1001 is more than 1000, the most a scenario's quality section allows");
    expect(() => parseQualityArgs(['a.ts', '--steps', '99999999999'])).toThrow("--steps: 99999999999 is more than 10000000, the most a scenario's quality section allows");
  });
});

describe('quality --regularizer', () => {
  it("takes bench's list of regularizers, each a unit of its own, and refuses a bad one naming the flag", () => {
    expect(parseQualityArgs(['a.ts', '--regularizer', 'none,r1,r1-lazy']).regularizer).toEqual(['none', 'r1', 'r1-lazy']);
    expect(parseQualityArgs(['a.ts']).regularizer).toBeUndefined();
    expect(() => parseQualityArgs(['a.ts', '--regularizer', 'r2'])).toThrow("--regularizer: unknown value 'r2' (known: none, r1, r1-lazy, wgan-gp, wgan-gp-detached)");
    expect(() => parseQualityArgs(['a.ts', '--regularizer', 'r1,r1'])).toThrow('--regularizer: lists r1 twice');
    expect(() => parseQualityArgs(['a.ts', '--regularizer', ','])).toThrow('--regularizer: names nothing');
  });
});

describe('quality flags', () => {
  it('refuses a flag given twice, naming it, as bench does', () => {
    expect(() => parseQualityArgs(['a.ts', '--seeds', '3', '--seeds', '5'])).toThrow("--seeds given twice ('3' and '5')");
    expect(() => parseQualityArgs(['a.ts', '--regularizer', 'r1', '--regularizer', 'none'])).toThrow('--regularizer given twice');
  });

  it('documents every flag in --help, with an example of --regularizer', () => {
    for (const flag of ['--backend <list>', '--strategies <list>', '--regularizer <list>', '--seeds <n>', '--steps <n>', '--out <dir>', '-h, --help']) expect(USAGE).toContain(flag);
    expect(USAGE).toContain('--regularizer none,r1,r1-lazy');
  });
});
