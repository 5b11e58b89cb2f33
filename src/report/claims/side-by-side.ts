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
  /** The framework and version that ran it (`torch 2.13.0`): columns alike but for it are compared. */
  framework?: string;
  /** What the column's cells share but the framework (their key without strategy and framework); absent: the backend. */
  alike?: string;
  claims: readonly ClaimResult[];
}

/** A claim on which a tfjs backend's verdict differs from PyTorch's. */
export interface Disagreement {
  id: ClaimId;
  claim: string;
  /** The ground truth's column (PyTorch's; a backend's first version's) and its verdict. */
  reference: { label: string; result: ClaimResult };
  /** Every other column whose verdict differs from it on this claim. */
  others: Array<{ label: string; result: ClaimResult }>;
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
      if (tfjs.length > 0) found.push({ id: result.id, claim: result.claim, reference: { label: pytorch.label, result }, others: tfjs });
    }
  }
  return found;
}

const bold = (verdict: Verdict) => `**${verdict}**`;

/** One disagreement as a list item: the claim, who says what, then each side's evidence. */
export function disagreementLine(disagreement: Disagreement): string {
  const { claim, reference, others } = disagreement;
  const verdicts = [`${reference.label} ${bold(reference.result.verdict)}`, ...others.map(({ label, result }) => `${label} ${bold(result.verdict)}`)];
  const evidence = [reference, ...others].map(({ label, result }) => `${label}: ${result.evidence}`);
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
  const versions = findVersionDifferences(columns);
  if (versions !== null) {
    parts.push(
      versions.length === 0
        ? '**The framework versions agree** on every claim here.'
        : [`**Where the framework versions differ** (${versions.length} claim${versions.length === 1 ? '' : 's'}):`, ...versions.map(disagreementLine)].join('\n'),
    );
  }
  return parts.join('\n\n');
}

/**
 * Per unit measured at several framework versions (`--python`: columns alike but for their framework), the claims on
 * which their verdicts differ, the first version's column against each other that differs; null where none was.
 */
export function findVersionDifferences(columns: readonly ClaimColumn[]): Disagreement[] | null {
  const byBackend = new Map<string, ClaimColumn[]>();
  for (const column of columns) {
    const alike = column.alike ?? column.backend;
    byBackend.set(alike, [...(byBackend.get(alike) ?? []), column]);
  }
  const versioned = [...byBackend.values()].filter((group) => new Set(group.map((column) => column.framework)).size > 1);
  if (versioned.length === 0) return null;
  const found: Disagreement[] = [];
  for (const [first, ...others] of versioned) {
    for (const result of first!.claims) {
      const differing = others.flatMap((column) => {
        const theirs = column.claims.find((claim) => claim.id === result.id);
        return theirs && theirs.verdict !== result.verdict ? [{ label: column.label, result: theirs }] : [];
      });
      if (differing.length > 0) found.push({ id: result.id, claim: result.claim, reference: { label: first!.label, result }, others: differing });
    }
  }
  return found;
}
