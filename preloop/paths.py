"""Where Preloop keeps its local state (embedded database, Redis, generated secrets)."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("PRELOOP_DATA_DIR") or BASE_DIR / ".data").resolve()


def data_path(*parts: str) -> Path:
    """A path under the data folder; its parent is created on demand."""
    path = DATA_DIR.joinpath(*parts)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path
