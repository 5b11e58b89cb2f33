import { describe, expect, it } from 'vitest';
import { parseShard, shardCells } from '../../src/compare/shard.js';

const KEYS = Array.from({ length: 60 }, (_, i) => `scenario-${i % 6} / ${i % 2 ? 'cpu' : 'wasm'} / strategy-${i % 5}-${i}`);
const keyOf = (key: string) => key;

describe('shardCells', () => {
  it('the shards partition the cells: each cell lands in exactly one, and their union is the whole set', () => {
    for (const count of [1, 2, 3, 4, 7]) {
      const shards = Array.from({ length: count }, (_, i) => shardCells(KEYS, keyOf, i + 1, count));
      const union = shards.flat();
      expect(union).toHaveLength(KEYS.length);
      expect(new Set(union)).toEqual(new Set(KEYS));
    }
  });

  it('is deterministic: the same cells and count always give the same shard, in the input order', () => {
    const first = shardCells(KEYS, keyOf, 2, 4);
    expect(shardCells([...KEYS].reverse(), keyOf, 2, 4)).toEqual([...first].reverse());
    expect(first).toEqual(KEYS.filter((key) => first.includes(key)));
  });

  it('deals three scenarios over three shards one each, keeping equal keys together', () => {
    const cells = ['small-d/a', 'balanced/a', 'large-d/a', 'small-d/b'];
    const byScenario = (cell: string) => cell.split('/')[0]!;
    expect([1, 2, 3].map((i) => shardCells(cells, byScenario, i, 3))).toEqual([
      ['balanced/a'],
      ['large-d/a'],
      ['small-d/a', 'small-d/b'],
    ]);
  });

  it('spreads 60 cells over 4 shards without leaving one empty', () => {
    const sizes = [1, 2, 3, 4].map((index) => shardCells(KEYS, keyOf, index, 4).length);
    expect(Math.min(...sizes)).toBeGreaterThan(0);
  });

  it('refuses an index outside 1..count', () => {
    expect(() => shardCells(KEYS, keyOf, 0, 4)).toThrow(/from 1 to 4/);
    expect(() => shardCells(KEYS, keyOf, 5, 4)).toThrow(RangeError);
  });
});

describe('parseShard', () => {
  it('reads "2/4" as the second of four shards, 1-based', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    expect(parseShard(' 1 / 1 ')).toEqual({ index: 1, count: 1 });
  });

  it('names --shard in every error', () => {
    expect(() => parseShard('2')).toThrow(/--shard expects INDEX\/COUNT such as 2\/4, got '2'/);
    expect(() => parseShard('0/4')).toThrow(/--shard index must be from 1 to 4/);
    expect(() => parseShard('5/4')).toThrow(/--shard index/);
    expect(() => parseShard('1/0')).toThrow(/--shard count must be at least 1/);
    expect(() => parseShard('a/b')).toThrow(/--shard/);
  });
});
