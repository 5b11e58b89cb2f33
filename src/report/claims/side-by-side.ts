/**
 * The post's claims on several backends at once (data in, markdown out): one verdict column per backend, then a
 * line for every claim where a TensorFlow.js backend and PyTorch disagree, naming them, with each one's evidence.
 * PyTorch is the ground truth the post's claims are about; a tfjs verdict that differs from it is either a cost
 * of that backend (its calibration says which) or noise, and the evidence lets a reader tell.
 */
import type { ClaimId, ClaimResult, Verdict } from './claims.js';
import { DASH } from '../../format.js';
import { escapeCell, renderTable, type MarkdownColumn } from '../tables/tables.js';

/** One backend's verdicts on one scenario, under the label its column gets. */
export interface ClaimColumn {
  /** The column header: the backend, made unique with its run where several runs are merged (`cpu · run 2`). */
  label: string;
  backend: string;
  claims: readonly ClaimResult[];
}

/** A claim on which a tfjs backend's verdict differs from PyTorch's. */
export interface Disagreement {
  id: ClaimId;
  claim: string;
  pytorch: { label: string; result: ClaimResult };
  /** Every tfjs column whose verdict differs from PyTorch's on this claim. */
  tfjs: Array<{ label: string; result: ClaimResult }>;
}

const isPytorch = (column: ClaimColumn) => column.backend === 'pytorch';

/** The claims where some tfjs column's verdict differs from a PyTorch column's, once per claim and PyTorch column. */
export function findDisagreements(columns: readonly ClaimColumn[]): Disagreement[] {
  const found: Disagreement[] = [];
  for (const pytorch of columns.filter(isPytorch)) {
    for (const result of pytorch.claims) {
      const tfjs = columns
        .filter((column) => !isPytorch(column))
        .flatMap((column) => {
          const theirs = column.claims.find((claim) => claim.id === result.id);
          return theirs && theirs.verdict !== result.verdict ? [{ label: column.label, result: theirs }] : [];
        });
      if (tfjs.length > 0) found.push({ id: result.id, claim: result.claim, pytorch: { label: pytorch.label, result }, tfjs });
    }
  }
  return found;
}

const bold = (verdict: Verdict) => `**${verdict}**`;

/** One disagreement as a list item: the claim, who says what, then each side's evidence. */
export function disagreementLine(disagreement: Disagreement): string {
  const { claim, pytorch, tfjs } = disagreement;
  const verdicts = [`${pytorch.label} ${bold(pytorch.result.verdict)}`, ...tfjs.map(({ label, result }) => `${label} ${bold(result.verdict)}`)];
  const evidence = [pytorch, ...tfjs].map(({ label, result }) => `${label}: ${result.evidence}`);
  return `- **${claim}**: ${verdicts.join('; ')}. ${evidence.join(' ')}`;
}

/**
 * The side-by-side claims table and, where a PyTorch column is beside tfjs columns, the disagreements below it
 * (or a line saying there are none). Every column must judge the same claims, in the same order.
 */
export function renderClaimsSideBySide(columns: readonly ClaimColumn[]): string {
  const first = columns[0];
  if (!first) return '';
  const tableColumns: MarkdownColumn<ClaimResult>[] = [
    { header: 'Claim', align: 'left', value: (result) => result.claim },
    ...columns.map(
      (column): MarkdownColumn<ClaimResult> => ({
        header: escapeCell(column.label),
        align: 'left',
        value: (result) => {
          const theirs = column.claims.find((claim) => claim.id === result.id);
          return theirs ? bold(theirs.verdict) : DASH;
        },
      }),
    ),
    { header: 'Rule', align: 'left', value: (result) => result.rule },
  ];
  const parts = [renderTable(tableColumns, first.claims)];
  const comparable = columns.some(isPytorch) && columns.some((column) => !isPytorch(column));
  if (comparable) {
    const found = findDisagreements(columns);
    parts.push(
      found.length === 0
        ? '**TensorFlow.js and PyTorch agree** on every claim here.'
        : [`**Where TensorFlow.js and PyTorch disagree** (${found.length} claim${found.length === 1 ? '' : 's'}):`, ...found.map(disagreementLine)].join('\n'),
    );
  }
  return parts.join('\n\n');
}
