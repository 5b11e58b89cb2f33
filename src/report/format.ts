// The number formatter moved to src/format.ts (measure/ uses it too, and measure/ must not import report/):
// this path stays for the importers in other areas until they import it from there.
export * from '../format.js';
