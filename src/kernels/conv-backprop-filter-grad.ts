/**
 * A gradient for `Conv2DBackpropFilter` (a convolution's weight gradient), which tfjs-core 4.22 does not register:
 * a double backward through a convolution (a gradient penalty's `create_graph`, or any second-order pass through a
 * transposed convolution's forward, whose gradient runs this kernel) needs it. dW is bilinear in x and dy, so for
 * an incoming gradient g (shaped like the filter): x gets `Conv2DBackpropInput(dy, g)` (x's gradient were g the
 * filter) and dy gets `Conv2D(x, g)` (the forward with filter g), as TensorFlow's own
 * `_Conv2DBackpropFilterGrad` does and PyTorch's convolution double backward computes.
 */
import { tf } from '../tf.js';

interface BackpropFilterAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

if (tf.getGradient('Conv2DBackpropFilter') == null) {
  tf.registerGradient({
    kernelName: 'Conv2DBackpropFilter',
    inputsToSave: ['x', 'dy'],
    gradFunc: (g, saved, attrs) => {
      const [x, dy] = saved as [tf.Tensor4D, tf.Tensor4D];
      const { strides, pad, dataFormat, dimRoundingMode } = attrs as unknown as BackpropFilterAttrs;
      const filter = g as tf.Tensor4D;
      return {
        x: () =>
          tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, { strides, pad, dataFormat, dimRoundingMode, inputShape: x.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
        dy: () =>
          tf.engine().runKernel('Conv2D', { x, filter }, { strides, pad, dataFormat, dilations: 1, dimRoundingMode } as unknown as tf.NamedAttrMap) as tf.Tensor,
      };
    },
  });
}
