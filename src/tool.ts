/**
 * This tool's name and version, from package.json, for every results file. Read through a require relative to
 * this module, at src/'s depth, so that the same path also holds from the bundle at .device/bundle.mjs that
 * scripts/device/pack.sh makes (one folder below the project root, as src/ is).
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { name, version } = require('../package.json') as { name: string; version: string };

export const TOOL: { readonly name: string; readonly version: string } = { name, version };
