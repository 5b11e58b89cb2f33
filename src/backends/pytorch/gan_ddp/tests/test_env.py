"""Process-group environment and batch sharding: no process group needed."""

import pytest
import torch

from gan_ddp.env import DistEnv, backend_for, shard, shard_bounds


def test_env_from_torchrun_variables() -> None:
    env = DistEnv.from_environ({"RANK": "1", "WORLD_SIZE": "2", "LOCAL_RANK": "1", "MASTER_ADDR": "127.0.0.1",
                                "MASTER_PORT": "29500"})
    assert env == DistEnv(1, 2, 1, "127.0.0.1", 29500)


def test_env_names_what_is_missing() -> None:
    with pytest.raises(RuntimeError, match="MASTER_PORT"):
        DistEnv.from_environ({"RANK": "0", "WORLD_SIZE": "1", "LOCAL_RANK": "0", "MASTER_ADDR": "127.0.0.1"})
    with pytest.raises(RuntimeError, match="not in"):
        DistEnv.from_environ({"RANK": "2", "WORLD_SIZE": "2", "LOCAL_RANK": "0", "MASTER_ADDR": "x",
                              "MASTER_PORT": "1"})


def test_backend_per_device() -> None:
    assert backend_for(torch.device("cpu")) == "gloo"
    assert backend_for(torch.device("cuda", 0)) == "nccl"


def test_shards_are_equal_contiguous_slices_that_cover_the_batch() -> None:
    x = torch.arange(16).reshape(8, 2)
    parts = [shard([x], 4, r)[0] for r in range(4)]
    assert [tuple(p.shape) for p in parts] == [(2, 2)] * 4
    assert torch.equal(torch.cat(parts), x)
    assert shard_bounds(16, 2, 1) == (8, 16)


def test_an_indivisible_batch_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="global batch size 10 is not divisible by the world size 4"):
        shard_bounds(10, 4, 0)
