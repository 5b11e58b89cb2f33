/**
 * The layer shapes of a scenario's G and D, as createGan builds them, without building anything: what the FLOP
 * prediction, the scenario summary (parameters, MACs per sample), the calibration and the memory estimate read.
 * An MLP's layers are dense ([latentSize, ...hidden, outputSize] for G, [outputSize, ...hidden, 1] for D); a
 * convolutional network's are its convolutions, G's from [latentSize, 1, 1], D's from data.shape.
 */
import type { Scenario } from '../scenario/schema.js';
import type { NetworkName } from '../strategies/strategy.js';
import { convShapes } from './conv-net.js';
import type { DenseShape, LayerShape } from '../scenario/shapes.js';

const denseLayers = (widths: readonly number[]): DenseShape[] => widths.slice(1).map((outputSize, i) => ({ inputSize: widths[i]!, outputSize }));

/** G's and D's layer shapes (an MLP's without their bias flags, as the summaries have always counted them). */
export function networkShapes(scenario: Pick<Scenario, 'generator' | 'discriminator' | 'data'>): Record<NetworkName, LayerShape[]> {
  const { generator: g, discriminator: d, data } = scenario;
  const image = data.shape as readonly number[] as [number, number, number];
  return {
    generator: g.kind === 'conv' ? convShapes([g.latentSize, 1, 1], g.layers) : denseLayers([g.latentSize, ...g.hidden, g.outputSize]),
    discriminator: d.kind === 'conv' ? convShapes(image, d.layers) : denseLayers([g.outputSize, ...d.hidden, 1]),
  };
}
