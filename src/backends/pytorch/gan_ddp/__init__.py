"""Data parallelism for gan-update-bench's PyTorch backend (issue 18): the GAN update strategies under
torch.distributed (DistributedDataParallel per network, StyleGAN2-ADA's no_sync form, StyleGAN3's flat all_reduce),
all-reduce calls and bytes counted where they are issued, the slowest rank's step time, the update-equivalence
check against world size 1, and a torchrun-like launcher. README.md says what was found.

Modules: env (process group, shards), strategies, counting, measure (on the scenario's own GAN, made by the
worker's builder, gan_worker.gan), rank (the rank entry point, `python -m gan_ddp.rank`), launcher.
"""
