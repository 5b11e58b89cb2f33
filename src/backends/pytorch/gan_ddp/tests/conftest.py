import sys
from pathlib import Path

# `gan_ddp` importable as a package from src/backends/pytorch, as the launcher runs it.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
