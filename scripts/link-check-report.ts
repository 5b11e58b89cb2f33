/**
 * Renders scripts/link_check.py's measurements as the report's link check (the ring model beside each measured
 * all-reduce time): `npx tsx scripts/link-check-report.ts link-check.json`.
 */
import { readFileSync } from 'node:fs';
import { renderLinkCheck } from '../src/report/distributed/link-check.js';
console.log(renderLinkCheck(JSON.parse(readFileSync(process.argv[2]!, 'utf8'))));
