/** Comparing two runs: statistics, the comparison itself, its markdown, reading results and sharding cells. */
export * from '../measure/statistics.js';
export * from './significance.js';
export * from './mode.js';
export * from './comparison.js';
export * from './compare.js';
export * from './markdown.js';
export * from '../results/read.js';
export * from './shard.js';
export * from './api.js';
export * from './options.js';
export * from './coverage.js';
