import { tf } from './src/tf.js';
import { webgpuBackend } from './src/backends/webgpu.js';
await webgpuBackend.start();
tf.env().set('WEBGPU_CPU_FORWARD', false);
let x = tf.add(tf.zeros([4]), 0);
for (let i = 0; i < 20000; i++) { const y = tf.add(x, 1); x.dispose(); x = y; }
await webgpuBackend.sync();
console.log((await x.data())[0]);
