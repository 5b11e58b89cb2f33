"""Two nodes on one machine joined by a real, shaped link: the all-reduce measured where the ring model can be checked.

    sudo /usr/bin/python3 scripts/link_check.py [--out link-check.json] [--rates unshaped,1gbit,100mbit] [--steps 8]

Makes two network namespaces joined by a veth pair (10.231.0.1 and 10.231.0.2; each namespace also gets its own
hostname, through a UTS namespace, and an /etc/hosts naming both, as two machines would have), and runs one node of
gan_ddp in each (`python -m gan_ddp.launcher --nnodes 2 --node-rank I --rdzv-endpoint 10.231.0.1:PORT 2 job.json`:
torchrun's agent, c10d rendezvous, one rank a node, gloo bound to the veth). Loopback cannot carry their traffic:
each namespace has its own. The link is measured unshaped, then shaped with `tc qdisc ... tbf` on both ends at each
rate. Per rate and strategy it writes node 0's all-reduce calls and bytes per step, ms in all-reduce per step and ms
per step (the slowest rank's) to --out (JSON: src/report/distributed/link-check.ts reads it and checks the ring
model against it). Needs root and iproute2 (ip, tc) and util-linux's unshare; removes its namespaces, links and
hosts files on every exit, failure included.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from statistics import median
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Optional

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_PARENT = ROOT / "src" / "backends" / "pytorch"
SUBNET = "10.231.0"
NODES = ("a", "b")

# small-d's networks (scenarios/ci/small-d.ts, resolved): G 42,432 parameters, D 2,065: 177,988 bytes a step for a
# strategy that all-reduces G once and D once.
SMALL_D: dict[str, Any] = {
    "name": "small-d",
    "generator": {"latentSize": 16, "hidden": [64, 128], "activation": "leakyRelu", "outputSize": 256,
                  "outputActivation": "tanh", "bias": True},
    "discriminator": {"hidden": [8], "activation": "leakyRelu", "bias": True},
    "data": {"shape": [256], "source": "uniform"},
    "batchSize": 16,
    "seed": 7,
    "optimizer": {"name": "adam", "learningRate": 2e-4, "beta1": 0.5, "beta2": 0.999, "epsilon": 1e-8},
    "loss": {"generator": "non-saturating"},
}
STRATEGIES = ["retain-graph", "detach-d-first", "g-first", "frozen-d", "single-forward-inputs", "stylegan3-flat"]


class LinkUnavailable(RuntimeError):
    """Namespaces or links cannot be made here (not root, no iproute2, no unshare): the check cannot run."""


def _run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, check=check, timeout=30)


def rate_bits(rate: str) -> Optional[float]:
    """'100mbit' -> 1e8, '1gbit' -> 1e9, 'unshaped' -> None (tc's units)."""
    if rate == "unshaped":
        return None
    units = {"kbit": 1e3, "mbit": 1e6, "gbit": 1e9}
    for unit, scale in units.items():
        if rate.endswith(unit):
            return float(rate[: -len(unit)]) * scale
    raise ValueError(f"a rate is NUMBER followed by kbit, mbit or gbit, or 'unshaped', not '{rate}'")


class Link:
    """Two namespaces, one veth pair, hosts files; `close` removes them all (and is safe to call twice)."""

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.namespaces = [f"gan-{tag}-{n}" for n in NODES]
        self.devices = [f"gv{tag}{n}"[:15] for n in NODES]
        self.addresses = [f"{SUBNET}.{i + 1}" for i in range(len(NODES))]
        self.hostnames = [f"gan-node-{n}" for n in NODES]

    def open(self) -> None:
        for tool in ("ip", "tc", "unshare"):
            if shutil.which(tool) is None:
                raise LinkUnavailable(f"`{tool}` is not installed (iproute2, util-linux)")
        if os.geteuid() != 0:
            raise LinkUnavailable("network namespaces need root")
        made = _run("ip", "netns", "add", self.namespaces[0], check=False)
        if made.returncode != 0:
            raise LinkUnavailable(f"`ip netns add` failed: {made.stderr.strip()}")
        _run("ip", "netns", "add", self.namespaces[1])
        _run("ip", "link", "add", self.devices[0], "type", "veth", "peer", "name", self.devices[1])
        hosts = "127.0.0.1 localhost\n" + "".join(f"{a} {h}\n" for a, h in zip(self.addresses, self.hostnames))
        for ns, dev, address in zip(self.namespaces, self.devices, self.addresses):
            _run("ip", "link", "set", dev, "netns", ns)
            _run("ip", "-n", ns, "addr", "add", f"{address}/24", "dev", dev)
            _run("ip", "-n", ns, "link", "set", dev, "up")
            _run("ip", "-n", ns, "link", "set", "lo", "up")
            folder = Path("/etc/netns") / ns
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "hosts").write_text(hosts)

    def shape(self, rate: str) -> None:
        """tbf on both ends' egress (each direction of the link), or none for 'unshaped'."""
        bits = rate_bits(rate)
        for ns, dev in zip(self.namespaces, self.devices):
            _run("ip", "netns", "exec", ns, "tc", "qdisc", "del", "dev", dev, "root", check=False)
            if bits is not None:
                # A 1 ms bucket (at least 16 KB, a few full packets): bursts above the rate stay short.
                burst = max(16_000, int(bits / 8 / 1000))
                _run("ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", dev, "root", "tbf", "rate", rate,
                     "burst", str(burst), "latency", "100ms")

    def close(self) -> None:
        for ns in self.namespaces:
            pids = _run("ip", "netns", "pids", ns, check=False).stdout.split()
            for pid in pids:  # only processes this check started live in its namespaces
                try:
                    os.kill(int(pid), 9)
                except (ProcessLookupError, ValueError):
                    pass
            _run("ip", "netns", "del", ns, check=False)  # takes its end of the veth pair, and so the pair, with it
            shutil.rmtree(Path("/etc/netns") / ns, ignore_errors=True)
        _run("ip", "link", "del", self.devices[0], check=False)  # where a namespace was never made


@contextmanager
def link(tag: Optional[str] = None) -> Iterator[Link]:
    made = Link(tag or str(os.getpid() % 100000))
    try:
        made.open()
        yield made
    finally:
        made.close()


def run_nodes(made: Link, job: dict[str, Any], port: int, timeout_s: float) -> list[dict[str, Any]]:
    """One node in each namespace; returns each node's launcher outcome (node 0's holds every rank's cells)."""
    work = Path(tempfile.mkdtemp(prefix="gan-link-"))
    try:
        (work / "job.json").write_text(json.dumps({**job, "launchTimeoutS": timeout_s, "silenceS": timeout_s,
                                                    "rendezvousTimeoutS": 30}))
        endpoint = f"{made.addresses[0]}:{port}"
        processes = []
        for node, (ns, dev, hostname) in enumerate(zip(made.namespaces, made.devices, made.hostnames)):
            env = {**os.environ, "PYTHONPATH": str(PACKAGE_PARENT), "GLOO_SOCKET_IFNAME": dev, "OMP_NUM_THREADS": "1"}
            command = (f"hostname {hostname} && exec {sys.executable} -m gan_ddp.launcher --nnodes 2 --node-rank {node} "
                       f"--rdzv-endpoint {endpoint} 2 {work / 'job.json'}")
            processes.append(subprocess.Popen(["ip", "netns", "exec", ns, "unshare", "--uts", "--", "sh", "-c", command],
                                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                                              cwd=PACKAGE_PARENT))
        outcomes = []
        for p in processes:
            out, err = p.communicate(timeout=timeout_s + 60)
            last = [line for line in out.splitlines() if line.startswith("{")]
            outcomes.append(json.loads(last[-1]) if last else {"ok": False, "error": f"no outcome: {err[-2000:]}"})
        return outcomes
    finally:
        shutil.rmtree(work, ignore_errors=True)


def summarise(outcome: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per strategy, from rank 0's cell: calls and bytes per step, and the median over the timed steps of ms in
    all-reduce and of ms per step (the median: two ranks sharing a loaded machine's cores have outlying steps)."""
    rows: dict[str, dict[str, Any]] = {}
    for strategy, cells in outcome.get("results", {}).items():
        cell = cells[0]
        if cell.get("status") != "ok":
            continue
        timing = cell["timing"]
        rows[strategy] = {"allreduceCalls": timing["steady"]["allreduce_calls"],
                          "allreduceBytes": timing["steady"]["allreduce_bytes"],
                          "commMs": median(timing["comm_ms"]), "stepMs": median(timing["step_ms"])}
    return rows


def check(rates: list[str], steps: int, warmup: int, strategies: list[str], timeout_s: float = 240,
          tag: Optional[str] = None, log: Any = sys.stderr) -> dict[str, Any]:
    job = {"scenario": SMALL_D, "strategies": strategies, "batchPool": 4, "warmupSteps": warmup, "steps": steps,
           "equivalenceSteps": 1, "timeoutS": 60, "threads": 1, "device": "cpu"}
    measured = []
    with link(tag) as made:
        for i, rate in enumerate(rates):
            made.shape(rate)
            started = time.monotonic()
            outcomes = run_nodes(made, job, 29400 + i, timeout_s)
            failed = [o.get("error") for o in outcomes if not o.get("ok")]
            if failed:
                raise RuntimeError(f"the two nodes at {rate} failed: {failed}")
            print(f"link check: {rate}: {time.monotonic() - started:.1f} s", file=log, flush=True)
            hosts = [o.get("hosts") for o in outcomes]
            measured.append({"rate": rate, "bitsPerSecond": rate_bits(rate), "hosts": hosts,
                             "strategies": summarise(outcomes[0])})
    return {"worldSize": 2, "nodes": 2, "scenario": SMALL_D["name"], "steps": steps, "link": "veth pair between two "
            "network namespaces, tc tbf on both ends", "rates": measured}


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/link_check.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="link-check.json")
    parser.add_argument("--rates", default="unshaped,1gbit,100mbit")
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--strategies", default=",".join(STRATEGIES))
    args = parser.parse_args(argv)
    try:
        result = check(args.rates.split(","), args.steps, args.warmup, args.strategies.split(","))
    except LinkUnavailable as error:
        print(f"link check: cannot run here: {error}", file=sys.stderr)
        return 3
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    print(f"link check: wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
