/**
 * A node other than node 0 of a run on several machines (`--nnodes K --node-rank I`, I > 0): it runs its share of
 * the ranks of every world size N unit of the same plan, in the same order, and writes nothing. Node 0 measures
 * world size 1, receives every rank's cells through torch.distributed (gan_ddp gathers them) and writes the results;
 * the ranks refuse a node whose job (scenario, strategies, world size) is not node 0's, naming both.
 */
import { runDistributed } from '../session/distributed.js';
import type { NodesOverride, RunPlan } from './plan.js';

/** Runs this node's ranks of each unit above world size 1; whether every one finished. */
export async function runOtherNode(plan: Pick<RunPlan, 'units'>, nodes: NodesOverride, run: typeof runDistributed = runDistributed): Promise<boolean> {
  let finished = true;
  const units = plan.units.filter((unit) => unit.worldSize > 1);
  if (units.length === 0) console.error(`node ${nodes.rank}: no unit above world size 1 to run (--world-size)`);
  for (const unit of units) {
    const name = `${unit.scenario} at world size ${unit.worldSize} on ${nodes.count} nodes`;
    console.error(`node ${nodes.rank}: ${name}: joining the rendezvous at ${nodes.endpoint}`);
    const { measurements } = await run(unit, { onPhase: (phase) => void console.error(`node ${nodes.rank}: ${phase}`) });
    const failed = measurements.strategies.find((strategy) => strategy.samplesMs.length === 0 && strategy.error && !strategy.raised);
    if (failed) {
      finished = false;
      console.error(`node ${nodes.rank}: ${name}: ${failed.error}`);
    } else {
      console.error(`node ${nodes.rank}: ${name}: its ranks finished; node 0 writes the results`);
    }
  }
  return finished;
}
