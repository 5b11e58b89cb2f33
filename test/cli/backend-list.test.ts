import { describe, expect, it } from 'vitest';
import { parseBackendList } from '../../src/cli/backend-list.js';
import { UsageError } from '../../src/cli/exit.js';

describe('parseBackendList', () => {
  it('reads one backend or several, in the order given, spaces around commas allowed', () => {
    expect(parseBackendList('wasm')).toEqual(['wasm']);
    expect(parseBackendList('wasm, pytorch')).toEqual(['wasm', 'pytorch']);
    expect(parseBackendList('auto')).toEqual(['auto']);
  });

  it('refuses an unknown backend, one listed twice, auto beside others and an empty list, naming the flag', () => {
    expect(() => parseBackendList('wasm,tpu')).toThrow(/^--backend: unknown backend 'tpu'/);
    expect(() => parseBackendList('pytorch,wasm,pytorch')).toThrow('--backend: lists pytorch twice');
    expect(() => parseBackendList('auto,pytorch')).toThrow(/--backend: auto picks one backend/);
    expect(() => parseBackendList(' , ')).toThrow('--backend: names no backend');
    expect(() => parseBackendList('cpu,cpu', '--backends')).toThrow(UsageError);
  });
});
