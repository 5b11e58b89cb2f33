import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { vulkanDriverManifests, webgpuBackend } from '../../src/backends/webgpu.js';

describe('webgpu without a Vulkan driver', () => {
  it('finds the driver manifests the Vulkan loader would, or the ones VK_DRIVER_FILES names that exist', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vulkan-'));
    const manifest = join(dir, 'lvp_icd.json');
    await writeFile(manifest, '{}');
    expect(vulkanDriverManifests({ VK_DRIVER_FILES: `${manifest}:${join(dir, 'gone.json')}` })).toEqual([manifest]);
    expect(vulkanDriverManifests({ VK_ICD_FILENAMES: join(dir, 'gone.json') })).toEqual([]);
    expect(vulkanDriverManifests({ XDG_DATA_HOME: dir, VK_DRIVER_FILES: manifest })).toEqual([manifest]);
  });

  it.runIf(process.platform === 'linux')("refuses to start with the harness's own line, before Dawn is loaded (Dawn's warning names its build machine's paths)", async () => {
    const saved = process.env['VK_DRIVER_FILES'];
    process.env['VK_DRIVER_FILES'] = '/nonexistent/icd.json';
    try {
      await expect(webgpuBackend.start()).rejects.toThrow(
        "backend 'webgpu' is unavailable: no Vulkan driver is installed (no driver manifest in the Vulkan loader's search path); on a machine without a GPU install Mesa's Vulkan driver: bash scripts/install-lavapipe.sh (as root)",
      );
    } finally {
      if (saved === undefined) delete process.env['VK_DRIVER_FILES'];
      else process.env['VK_DRIVER_FILES'] = saved;
    }
  });
});
