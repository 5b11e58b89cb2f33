"""Observing one step: passes, backward calls, wasted gradients, retained graph bytes and BatchNorm updates, in
PyTorch's own terms (the record src/measure/record.ts describes)."""

from __future__ import annotations

import weakref
from typing import Any, Callable, Dict, List, Literal, Optional, Set, Tuple

import torch

from .gan import Gan
from .models import LOGIT, batch_norm_modules

Record = Dict[str, Any]


class _Saved:
    """What the graph holds for one saved tensor while the observer watches (saved_tensors_hooks' pack result):
    its release is the graph letting go of the tensor."""

    __slots__ = ("tensor", "version", "check_version", "__weakref__")

    def __init__(self, tensor: torch.Tensor, check_version: bool = True) -> None:
        # A detached alias (same storage, same version counter): holding the tensor itself would tie a saved
        # output to its own grad_fn, a reference cycle through C++ that Python's gc cannot break.
        self.tensor = tensor.detach()
        self.version = tensor._version
        self.check_version = check_version


def storage_of(tensor: torch.Tensor) -> Tuple[int, int]:
    """(address, bytes) of the storage under `tensor`: views of one storage count once."""
    storage = tensor.untyped_storage() if hasattr(tensor, "untyped_storage") else tensor.storage()
    size = storage.nbytes() if hasattr(storage, "nbytes") else storage.size() * tensor.element_size()
    return storage.data_ptr(), size


TAG = "_gan_bench_contributions"
DATA_LEAF = "_gan_bench_data_leaf"  # a data tensor already hooked, by the observer's token


class StepObserver:
    """Hooks one GAN for one step. Counts, in PyTorch's own terms:
    - forwards: a forward hook on G and D;
    - backward calls: torch.autograd.backward (what Tensor.backward calls) and torch.autograd.grad, wrapped;
    - backward passes: a hook on each forward's output tensor (and on the logit D keeps under R1, from which R1's
      grad starts); a backward call that reaches either is one pass through that network, with parameterGradients = that network's parameters received a gradient in the call and
      inputGradient = the forward's input received one (a hook on the input tensor);
    - wasted gradient elements: every parameter gradient a backward call computes (parameter hooks for backward(),
      the returned tensors for autograd.grad) is written down on the tensor that holds it (an attribute: PyTorch
      keeps a tensor's Python attributes as long as the tensor lives, and a weak reference would not be safe); an
      optimizer step uses the contributions its parameters' .grad holds; zero_grad discards them; the rest,
      overwritten or left at the step's end, are wasted too;
    - retained bytes: saved_tensors_hooks wrap every tensor a graph saves; when an optimizer step starts, the
      distinct storages of the saved tensors still held are summed; the most over the step's optimizer steps;
    - BatchNorm running-statistics updates: a forward hook on every BatchNorm module counts its calls in training
      mode (each updates its running statistics); per network, the calls over its BatchNorm modules;
    - double backwards (a gradient penalty's): the gradients a create_graph=True call returns for a forward's input
      or its network's parameters get a hook; a later backward call that reaches one goes through that forward's
      recorded backward, one double backward for its network (src/measure/counts.ts counts the same);
    - a data tensor's gradient (R1's `real`, marked requires_grad_ and fed to D): what a backward() call
      accumulates into its .grad is read by nothing, wasted; what autograd.grad returns for it is the caller's."""

    tokens = 0
    _saved_hooks: Any

    def __init__(self, gan: Gan) -> None:
        StepObserver.tokens += 1
        self.token = StepObserver.tokens  # marks this observer's tags (no reference back to it)
        self.gan = gan
        self.networks = {"generator": gan.G, "discriminator": gan.D}
        self.network_of_param: Dict[torch.Tensor, str] = {}
        for name, module in self.networks.items():
            for p in module.parameters():
                self.network_of_param[p] = name
        self.forwards: List[Record] = []  # {network, batchSize, output, input}
        self.batch_norms = {name: batch_norm_modules(module) for name, module in self.networks.items()}
        self.batch_norm_calls = {name: 0 for name in self.networks}
        # BatchNorm's running statistics: saved by reference by its backward node and updated in place by every
        # training-mode forward, like parameters they hold no graph memory of their own.
        self.buffer_storages = {storage_of(b)[0] for module in self.networks.values() for b in module.buffers()}
        self.traversals: List[Record] = []
        self.backward_calls = 0
        self.contributions: List[List[Any]] = []  # [param, elements, state]; the holding tensor carries the indices (TAG)
        self.retained_bytes = 0
        self.saved: "weakref.WeakSet[_Saved]" = weakref.WeakSet()
        self.double_backwards: List[Record] = []  # {network, batchSize}
        # The data tensors (requires_grad leaves) a forward took are marked with this observer's token: an id would be
        # reused by the next critic step's interpolates once the last one is freed, and its gradient go uncounted.
        self.data_wasted = 0
        self._call: Optional[Dict[str, Any]] = None  # the backward call in progress
        self._handles: List[Any] = []
        self._restore: List[Tuple[Any, str, Any, bool]] = []

    # -- installation
    def __enter__(self) -> "StepObserver":
        for name, module in self.networks.items():
            self._handles.append(module.register_forward_hook(self._forward_hook(name)))
            for batch_norm in self.batch_norms[name]:
                self._handles.append(batch_norm.register_forward_hook(self._batch_norm_hook(name)))
        for p, name in self.network_of_param.items():
            # A hook can only be registered while the parameter requires a gradient (frozen-d leaves D frozen at the
            # end of a step); once registered it stays, whatever requires_grad_ does later.
            requires_grad = p.requires_grad
            p.requires_grad_(True)
            self._handles.append(p.register_hook(self._param_hook(p)))
            p.requires_grad_(requires_grad)
        self._patch(torch.autograd, "backward", self._wrap_backward(torch.autograd.backward))
        self._patch(torch.autograd, "grad", self._wrap_grad(torch.autograd.grad))
        for optimizer in (self.gan.optimizer_G, self.gan.optimizer_D):
            self._patch(optimizer, "step", self._wrap_step(optimizer, optimizer.step))
            self._patch(optimizer, "zero_grad", self._wrap_zero_grad(optimizer, optimizer.zero_grad))
        self._saved_hooks = torch.autograd.graph.saved_tensors_hooks(self._pack, self._unpack)
        self._saved_hooks.__enter__()
        return self

    def __exit__(self, *exc: Any) -> Literal[False]:
        self._saved_hooks.__exit__(*exc)
        for handle in self._handles:
            handle.remove()
        for owner, name, original, had_own in reversed(self._restore):
            if had_own:
                setattr(owner, name, original)
            else:
                delattr(owner, name)
        self._handles, self._restore = [], []
        for p in self.network_of_param:  # the tags the step's gradients still carry
            if p.grad is not None and hasattr(p.grad, TAG):
                delattr(p.grad, TAG)
        return False

    def _patch(self, owner: Any, name: str, replacement: Any) -> None:
        had_own = name in vars(owner) if hasattr(owner, "__dict__") else True
        self._restore.append((owner, name, getattr(owner, name), had_own))
        setattr(owner, name, replacement)

    # -- forwards and the tensors a backward reaches
    def _forward_hook(self, name: str) -> Callable[..., None]:
        def hook(module: torch.nn.Module, inputs: Any, output: torch.Tensor) -> None:
            x = inputs[0]
            record = {"network": name, "batchSize": int(x.shape[0]), "outputReached": False, "inputReached": False}
            self.forwards.append(record)
            if output.requires_grad:
                output.register_hook(self._mark(record, "outputReached"))
            # R1 starts from D's logit (models.keep_logit): a pass from it goes through every layer but the sigmoid.
            logit = getattr(output, LOGIT, None)
            if isinstance(logit, torch.Tensor) and logit.requires_grad:
                logit.register_hook(self._mark(record, "outputReached"))
            if x.requires_grad:
                x.register_hook(self._mark(record, "inputReached"))
                record["input"] = weakref.ref(x)
                if x.is_leaf and x not in self.network_of_param and getattr(x, DATA_LEAF, None) != self.token:
                    setattr(x, DATA_LEAF, self.token)
                    x.register_hook(self._data_leaf_hook)
        return hook

    def _data_leaf_hook(self, grad: torch.Tensor) -> None:
        if self._call is not None and self._call["kind"] == "backward":
            self.data_wasted += grad.numel()

    def _recorded_backward_hook(self, key: Tuple[int, str, int]) -> Callable[[torch.Tensor], None]:
        def hook(grad: torch.Tensor) -> None:
            if self._call is not None:
                self._call["double"].add(key)
        return hook

    def _batch_norm_hook(self, name: str) -> Callable[..., None]:
        def hook(module: torch.nn.Module, inputs: Any, output: Any) -> None:
            if module.training:
                self.batch_norm_calls[name] += 1
        return hook

    def _mark(self, record: Record, field: str) -> Callable[[torch.Tensor], None]:
        def hook(grad: torch.Tensor) -> None:
            if self._call is not None:
                self._call["reached"].add((id(record), field))
        return hook

    def _param_hook(self, p: torch.Tensor) -> Callable[[torch.Tensor], None]:
        def hook(grad: torch.Tensor) -> None:
            if self._call is not None and self._call["kind"] == "backward":
                self._call["params"].append((p, grad.numel()))
        return hook

    # -- backward calls
    def _begin_call(self, kind: str) -> None:
        if self._call is not None:
            raise RuntimeError("nested backward calls are not observed")
        self._call = {"kind": kind, "reached": set(), "params": [], "double": set()}
        self.backward_calls += 1

    def _end_call(self, grads_of_params: Callable[[Dict[str, Any]], List[Tuple[torch.Tensor, int, Optional[torch.Tensor]]]]) -> None:
        call, self._call = self._call, None
        assert call is not None
        networks_with_grads: Set[str] = set()
        for p, elements, holder in grads_of_params(call):
            networks_with_grads.add(self.network_of_param[p])
            self.contributions.append([p, elements, "pending"])
            if holder is not None:
                self._tag(holder).append(len(self.contributions) - 1)
        for _, network, batch_size in sorted(call["double"]):
            self.double_backwards.append({"network": network, "batchSize": batch_size})
        for record in self.forwards:
            if (id(record), "outputReached") not in call["reached"]:
                continue
            self.traversals.append({
                "network": record["network"],
                "batchSize": record["batchSize"],
                "parameterGradients": record["network"] in networks_with_grads,
                "inputGradient": (id(record), "inputReached") in call["reached"],
            })

    def _wrap_backward(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def backward(*args: Any, **kwargs: Any) -> Any:
            self._begin_call("backward")
            try:
                result = original(*args, **kwargs)
            except BaseException:
                self._call = None
                raise
            # The gradients now sit in .grad (accumulated into, or newly set).
            self._end_call(lambda call: [(p, n, p.grad) for p, n in call["params"]])
            return result
        return backward

    def _wrap_grad(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def grad(outputs: Any, inputs: Any, *args: Any, **kwargs: Any) -> Any:
            self._begin_call("grad")
            try:
                result = original(outputs, inputs, *args, **kwargs)
            except BaseException:
                self._call = None
                raise
            listed = [inputs] if isinstance(inputs, torch.Tensor) else list(inputs)
            # A returned gradient for a forward's input reached it (PyTorch 1.13 runs no leaf hook inside autograd.grad).
            assert self._call is not None
            for record in self.forwards:
                x = record["input"]() if "input" in record else None
                if x is not None and any(x is tensor and g is not None for tensor, g in zip(listed, result)):
                    self._call["reached"].add((id(record), "inputReached"))
            if kwargs.get("create_graph", False):
                self._hook_recorded_backwards(listed, result)

            def computed(call: Dict[str, Any]) -> List[Tuple[torch.Tensor, int, Optional[torch.Tensor]]]:
                return [(x, g.numel(), g) for x, g in zip(listed, result)
                        if g is not None and x in self.network_of_param]

            self._end_call(computed)
            return result
        return grad

    def _hook_recorded_backwards(self, inputs: List[torch.Tensor], grads: Any) -> None:
        """After a create_graph=True call: each forward it went through (its output reached) whose input, or whose
        network's parameters, it returned gradients for, recorded its backward; hook those gradients."""
        assert self._call is not None
        for record in self.forwards:
            if (id(record), "outputReached") not in self._call["reached"]:
                continue
            x = record["input"]() if "input" in record else None
            key = (id(record), record["network"], record["batchSize"])
            for tensor, grad in zip(inputs, grads):
                if grad is None or not grad.requires_grad:
                    continue
                if (x is not None and tensor is x) or self.network_of_param.get(tensor) == record["network"]:
                    grad.register_hook(self._recorded_backward_hook(key))

    # -- optimizer steps
    def _params_of(self, optimizer: torch.optim.Optimizer) -> List[torch.Tensor]:
        return [p for group in optimizer.param_groups for p in group["params"]]

    def _tag(self, tensor: torch.Tensor) -> List[int]:
        """The indices of the contributions `tensor` holds, kept on the tensor itself for this observer."""
        tag: Any = getattr(tensor, TAG, None)
        if tag is None or tag[0] != self.token:
            tag = (self.token, [])
            setattr(tensor, TAG, tag)
        indices: List[int] = tag[1]
        return indices

    def _settle(self, optimizer: torch.optim.Optimizer, state: str) -> None:
        """Marks the pending contributions that the optimizer's parameters' .grad now holds as `state`."""
        for p in self._params_of(optimizer):
            tag = getattr(p.grad, TAG, None) if p.grad is not None else None
            if tag is None or tag[0] != self.token:
                continue
            for index in tag[1]:
                contribution = self.contributions[index]
                if contribution[0] is p and contribution[2] == "pending":
                    contribution[2] = state

    def _wrap_step(self, optimizer: torch.optim.Optimizer, original: Callable[..., Any]) -> Callable[..., Any]:
        def step(*args: Any, **kwargs: Any) -> Any:
            # Parameters are saved by reference and updated in place: the graph holds no memory of its own for
            # them, so their storages do not count (the tfjs side leaves saved parameter values out the same way).
            by_reference = {storage_of(p)[0] for p in self.network_of_param} | self.buffer_storages
            held: Dict[int, int] = {}
            for saved in list(self.saved):
                address, size = storage_of(saved.tensor)
                if address not in by_reference:
                    held[address] = size
            self.retained_bytes = max(self.retained_bytes, sum(held.values()))
            self._settle(optimizer, "used")
            return original(*args, **kwargs)
        return step

    def _wrap_zero_grad(self, optimizer: torch.optim.Optimizer, original: Callable[..., Any]) -> Callable[..., Any]:
        def zero_grad(*args: Any, **kwargs: Any) -> Any:
            self._settle(optimizer, "discarded")
            return original(*args, **kwargs)
        return zero_grad

    # -- saved tensors
    def _pack(self, tensor: torch.Tensor) -> _Saved:
        # BatchNorm's running statistics change at every training-mode forward, which PyTorch 1.13's
        # native_batch_norm does without bumping their version; PyTorch itself never refuses them, so neither does
        # this check (a real refusal would have raised in the uninstrumented steps before this one).
        saved = _Saved(tensor, check_version=storage_of(tensor)[0] not in self.buffer_storages)
        self.saved.add(saved)
        return saved

    def _unpack(self, saved: _Saved) -> torch.Tensor:
        # saved_tensors_hooks bypass autograd's own check that a saved tensor was not modified in place: redo it.
        if saved.check_version and saved.tensor._version != saved.version:
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an inplace operation "
                f"(version {saved.version} when saved, {saved.tensor._version} now; checked by the worker's "
                "saved-tensor hook, which replaces PyTorch's own check while a step is observed)")
        return saved.tensor

    # -- the record
    def counts(self) -> Record:
        def count(items: List[Record], network: str) -> int:
            return sum(1 for item in items if item["network"] == network)

        wasted = sum(elements for _, elements, state in self.contributions if state != "used") + self.data_wasted
        return {
            "forwards": [{"network": f["network"], "batchSize": f["batchSize"]} for f in self.forwards],
            "backwards": self.traversals,
            "generatorForwards": count(self.forwards, "generator"),
            "discriminatorForwards": count(self.forwards, "discriminator"),
            "generatorBackwards": count(self.traversals, "generator"),
            "discriminatorBackwards": count(self.traversals, "discriminator"),
            "backwardCalls": self.backward_calls,
            "wastedGradientElements": wasted,
            "retainedBytes": self.retained_bytes,
            "generatorDoubleBackwards": count(self.double_backwards, "generator"),
            "discriminatorDoubleBackwards": count(self.double_backwards, "discriminator"),
            "doubleBackwards": self.double_backwards,
            "generatorBatchNormUpdates": self.batch_norm_updates("generator"),
            "discriminatorBatchNormUpdates": self.batch_norm_updates("discriminator"),
        }

    def batch_norm_updates(self, name: str) -> int:
        """Training-mode forwards through the network's BatchNorm layers, per network: calls over modules."""
        modules = len(self.batch_norms[name])
        if modules == 0:
            return 0
        calls = self.batch_norm_calls[name]
        if calls % modules != 0:
            raise RuntimeError(f"{name}'s {modules} BatchNorm modules ran {calls} times: not once each per forward")
        return calls // modules
