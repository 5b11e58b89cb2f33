/**
 * D's logit: the tensor D's last activation was applied to, in the very forward that produced D's output. R1
 * differentiates it (GAN_stability's D outputs logits, its loss is BCE with logits), while the harness's D ends in a
 * sigmoid for the post's BCE. A network built with `keepLogit` (src/models/mlp.ts, conv-net.ts) records, for each
 * output, that tensor: PyTorch's `nn.Sigmoid` input, not a logit recomputed from the probability, so R1's gradient
 * and FLOPs are those of a D that outputs logits. For a linear output (WGAN-GP's critic) the output is the logit.
 * The worker's `models.py` (keep_logit, logit_of) does the same.
 */
import type { Tensor } from '../tf.js';

const logits = new WeakMap<Tensor, Tensor>();

/** Records `logit` as the logit of the network output `output` (itself where the output is linear); returns `output`. */
export function keepLogit(output: Tensor, logit: Tensor): Tensor {
  logits.set(output, logit);
  return output;
}

/** The logit a forward recorded for `output`, or undefined where its network keeps none. */
export function keptLogit(output: Tensor): Tensor | undefined {
  return logits.get(output);
}

/** The logit of D's output `output`, from the forward that produced it; throws where that forward kept none. */
export function logitOf(output: Tensor): Tensor {
  const logit = logits.get(output);
  if (!logit) {
    throw new Error(
      "this output's forward kept no logit: D keeps its pre-sigmoid logit only under an R1 regularizer (createGan's keepLogit)",
    );
  }
  return logit;
}
