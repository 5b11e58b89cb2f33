/** Test helper: records `loss` on a fresh autograd graph and returns it with its gradients for `variables`. */
import { Graph } from '../../src/autograd/graph.js';
import { Parameter } from '../../src/autograd/parameter.js';
import { tf, type Tensor, type Variable } from '../../src/tf.js';

export function gradientsOf(variables: readonly Variable[], loss: () => Tensor): { value: Tensor; gradients: Tensor[] } {
  const parameters = variables.map((variable) => new Parameter(variable, variable.name));
  const graph = new Graph(parameters);
  try {
    const value = graph.record(() => tf.tidy(loss));
    const { gradients } = graph.grad(value, parameters);
    return { value, gradients: parameters.map((parameter) => gradients.get(parameter)!) };
  } finally {
    graph.dispose();
  }
}
