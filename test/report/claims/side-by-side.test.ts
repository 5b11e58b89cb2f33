import { describe, expect, it } from 'vitest';
import type { ClaimResult } from '../../../src/report/claims/claims.js';
import { disagreementLine, findDisagreements, renderClaimsSideBySide, type ClaimColumn } from '../../../src/report/claims/side-by-side.js';

const claim = (id: ClaimResult['id'], verdict: ClaimResult['verdict'], evidence: string): ClaimResult => ({
  id,
  claim: id === 'three-best' ? 'Strategy three is the best' : 'Strategy three computes a needless discriminator forward',
  verdict,
  rule: `the rule of ${id}`,
  evidence,
});

const column = (label: string, backend: string, best: ClaimResult['verdict'], forward: ClaimResult['verdict'] = 'holds'): ClaimColumn => ({
  label,
  backend,
  claims: [claim('three-best', best, `${label}'s times`), claim('three-needless-d-forward', forward, `${label}'s passes`)],
});

describe('the claims side by side', () => {
  it('gives each backend a verdict column, with the rule last', () => {
    const markdown = renderClaimsSideBySide([column('wasm', 'wasm', 'does not hold'), column('pytorch', 'pytorch', 'holds')]);
    expect(markdown.split('\n').slice(0, 4)).toEqual([
      '| Claim | wasm | pytorch | Rule |',
      '| :--- | :--- | :--- | :--- |',
      '| Strategy three is the best | **does not hold** | **holds** | the rule of three-best |',
      '| Strategy three computes a needless discriminator forward | **holds** | **holds** | the rule of three-needless-d-forward |',
    ]);
  });

  it('adds a line for a claim where a tfjs backend and PyTorch disagree, naming them, with both sides\' evidence', () => {
    const markdown = renderClaimsSideBySide([column('wasm', 'wasm', 'does not hold'), column('pytorch', 'pytorch', 'holds')]);
    expect(markdown).toContain(
      '**Where TensorFlow.js and PyTorch disagree** (1 claim):\n' +
        "- **Strategy three is the best**: pytorch **holds**; wasm **does not hold**. pytorch: pytorch's times wasm: wasm's times",
    );
  });

  it('names only the tfjs backends that disagree, one line per claim', () => {
    const columns = [column('cpu', 'cpu', 'holds', 'inconclusive'), column('wasm', 'wasm', 'inconclusive', 'inconclusive'), column('pytorch', 'pytorch', 'holds')];
    const found = findDisagreements(columns);
    expect(found.map(({ id, others }) => [id, others.map(({ label }) => label)])).toEqual([
      ['three-best', ['wasm']],
      ['three-needless-d-forward', ['cpu', 'wasm']],
    ]);
    expect(disagreementLine(found[1]!)).toMatch(/^- \*\*Strategy three computes a needless discriminator forward\*\*: pytorch \*\*holds\*\*; cpu \*\*inconclusive\*\*; wasm \*\*inconclusive\*\*\./);
  });

  it('says that tfjs and PyTorch agree when they do, and says nothing of disagreement without PyTorch', () => {
    expect(renderClaimsSideBySide([column('cpu', 'cpu', 'holds'), column('pytorch', 'pytorch', 'holds')])).toContain(
      '**TensorFlow.js and PyTorch agree** on every claim here.',
    );
    const tfjsOnly = renderClaimsSideBySide([column('cpu', 'cpu', 'holds'), column('wasm', 'wasm', 'does not hold')]);
    expect(tfjsOnly).not.toMatch(/agree|disagree/);
  });

  it('says where one backend at two framework versions reaches different verdicts, and that they agree where they do', () => {
    const version = (framework: string, verdict: Parameters<typeof column>[2]) => ({ ...column(`pytorch · ${framework}`, 'pytorch', verdict), framework });
    const differ = renderClaimsSideBySide([version('torch 1.13.0', 'holds'), version('torch 2.13.0', 'inconclusive')]);
    expect(differ).toContain('**Where the framework versions differ** (1 claim):\n- **Strategy three is the best**: pytorch · torch 1.13.0 **holds**; pytorch · torch 2.13.0 **inconclusive**.');
    expect(renderClaimsSideBySide([version('torch 1.13.0', 'holds'), version('torch 2.13.0', 'holds')])).toContain('**The framework versions agree** on every claim here.');
    expect(renderClaimsSideBySide([column('cpu', 'cpu', 'holds'), column('pytorch', 'pytorch', 'holds')])).not.toContain('framework versions');
  });
});
