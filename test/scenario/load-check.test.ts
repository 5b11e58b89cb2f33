import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkScenarioFilesLoad } from '../../src/scenario/load-check.js';
import { loadScenarioFile } from '../../src/scenario/load.js';

/** Scenario files in a folder of an ES-module package (a top-level await needs one), each `name.ts` holding its code. */
async function files(sources: Record<string, string>): Promise<Record<string, string>> {
  const dir = await mkdtemp(join(tmpdir(), 'load-check-'));
  await writeFile(join(dir, 'package.json'), '{ "type": "module" }\n');
  const paths: Record<string, string> = {};
  for (const [name, source] of Object.entries(sources)) {
    paths[name] = join(dir, `${name}.ts`);
    await writeFile(paths[name]!, source);
  }
  return paths;
}
const check = (path: string, timeoutMs = 30_000) => checkScenarioFilesLoad([{ file: path, path }], { timeoutMs });

describe('a scenario file is loaded once in a child process, with a time limit, before the run', () => {
  it('stops an endless loop at its top level after the time limit and names the file', async () => {
    const { loop } = await files({ loop: 'while (true) {}\nexport default {};\n' });
    await expect(check(loop!, 2_000)).rejects.toThrow(`${loop}: did not finish loading within 2 s (an endless loop, or a timer or await at its top level that keeps it waiting?); nothing was run`);
  });

  it('names a top-level await that never settles, which Node would end silently with exit 13', async () => {
    const { waiting } = await files({ waiting: 'await new Promise(() => {});\nexport default {};\n' });
    await expect(check(waiting!)).rejects.toThrow(`${waiting}: has a top-level await that never settles (Node ended it with exit code 13); nothing was run`);
  });

  it('names a process.exit while it loads, which would otherwise end the command with exit 0 and nothing measured', async () => {
    const { exits } = await files({ exits: 'process.exit(0);\nexport default {};\n' });
    await expect(check(exits!)).rejects.toThrow(`${exits}: called process.exit(0) while it loaded: a scenario file only exports its scenario; nothing was run`);
    // In this process too, where the check did not run.
    await expect(loadScenarioFile(exits!)).rejects.toThrow(`${exits}: called process.exit(0) while it loaded: a scenario file only exports its scenario`);
  });

  it('lets good files through, and leaves what a file throws to the real import', async () => {
    const { throws } = await files({ throws: "throw new Error('bad');\n" });
    await check(resolve('test/fixtures/tiny.ts'));
    await checkScenarioFilesLoad([throws!, resolve('scenarios/small-d.ts')].map((path) => ({ file: path, path })));
  });

  it('calls an empty file one without a default export', async () => {
    const { empty } = await files({ empty: '' });
    await expect(loadScenarioFile(empty!)).rejects.toThrow(`${empty}: has no default export: write \`export default defineScenario({ ... })\``);
  });
});
