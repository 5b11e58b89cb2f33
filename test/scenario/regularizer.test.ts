import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/scenario/load.js';
import type { ScenarioInput } from '../../src/scenario/schema.js';
import tinyConv from '../fixtures/tiny-conv.js';
import tiny from '../fixtures/tiny.js';

/** The message parseScenario throws for this scenario (or '' if it parses). */
function errorOf(input: unknown): string {
  try {
    parseScenario(input, 'scenarios/x.ts');
    return '';
  } catch (error) {
    return (error as Error).message;
  }
}

const conv = tinyConv as ScenarioInput;
type ConvD = Extract<ScenarioInput['discriminator'], { kind: 'conv' }>;
const convD = conv.discriminator as ConvD;
const linearLast = { ...convD, layers: [{ ...convD.layers[0]!, batchNorm: false }, { ...convD.layers[1]!, activation: 'linear' as const }] };

describe("a scenario's regularizer", () => {
  it("defaults to none, with GAN_stability's gamma 10, StyleGAN2-ADA's interval 16 and PyTorch-GAN's five critic steps", () => {
    expect(parseScenario(tiny, 'x').regularizer).toEqual({ kind: 'none', gamma: 10, every: 16, nCritic: 5 });
    expect(parseScenario({ ...tiny, regularizer: { kind: 'r1-lazy' } }, 'x').regularizer).toEqual({ kind: 'r1-lazy', gamma: 10, every: 16, nCritic: 5 });
  });

  it('refuses a negative, infinite or NaN gamma, naming the field', () => {
    expect(errorOf({ ...tiny, regularizer: { kind: 'r1', gamma: -1 } })).toMatch(/must not be negative[\s\S]*at regularizer\.gamma/);
    expect(errorOf({ ...tiny, regularizer: { kind: 'r1', gamma: Infinity } })).toMatch(/at regularizer\.gamma/);
    expect(errorOf({ ...tiny, regularizer: { kind: 'r1', gamma: Number.NaN } })).toMatch(/at regularizer\.gamma/);
    expect(errorOf({ ...tiny, regularizer: { kind: 'r1', gamma: 0 } })).toBe('');
  });

  it('refuses an interval or a critic count below 1, or not whole, naming the field', () => {
    expect(errorOf({ ...tiny, regularizer: { kind: 'r1-lazy', every: 0 } })).toMatch(/must be at least 1[\s\S]*at regularizer\.every/);
    expect(errorOf({ ...tiny, regularizer: { kind: 'wgan-gp', nCritic: 0 } })).toMatch(/must be at least 1[\s\S]*at regularizer\.nCritic/);
    expect(errorOf({ ...tiny, regularizer: { kind: 'wgan-gp', nCritic: 2.5 } })).toMatch(/must be a whole number[\s\S]*at regularizer\.nCritic/);
  });

  it("refuses WGAN-GP on a critic that ends in a sigmoid, has BatchNorm, or a minimax G loss, naming the field", () => {
    expect(errorOf({ ...conv, regularizer: { kind: 'wgan-gp' } })).toMatch(/must be 'linear' with regularizer wgan-gp[\s\S]*at discriminator\.layers\[1\]\.activation/);
    expect(errorOf({ ...conv, discriminator: linearLast, regularizer: { kind: 'wgan-gp-detached' } })).toBe('');
    const batchNorm = { ...linearLast, layers: [{ ...linearLast.layers[0]!, batchNorm: true }, linearLast.layers[1]!] };
    expect(errorOf({ ...conv, discriminator: batchNorm, regularizer: { kind: 'wgan-gp' } })).toMatch(/must be false with regularizer wgan-gp[\s\S]*at discriminator\.layers\[0\]\.batchNorm/);
    expect(errorOf({ ...tiny, loss: { generator: 'minimax' }, regularizer: { kind: 'wgan-gp' } })).toMatch(/WGAN-GP's losses replace BCE[\s\S]*at loss\.generator/);
    // Without WGAN-GP a convolutional D still ends in its sigmoid.
    expect(errorOf({ ...conv, discriminator: linearLast, regularizer: { kind: 'r1' } })).toMatch(/must be 'sigmoid'[\s\S]*at discriminator\.layers\[1\]\.activation/);
  });
});
