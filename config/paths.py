"""Where creditwatch finds its data: the repo's own config files and the shared fixtures beside the repo."""

from __future__ import annotations

import os
from pathlib import Path

CONFIG_DIR = Path(__file__).resolve().parent
REPO_DIR = CONFIG_DIR.parent


def shared_dir() -> Path:
    """The shared data folder (fixtures, corpus, seeds): `CREDITWATCH_SHARED`, else `../shared` beside the repo."""
    env = os.environ.get("CREDITWATCH_SHARED")
    return Path(env) if env else REPO_DIR.parent / "shared"


def config_file(name: str) -> Path:
    """A data file shipped in config/."""
    return CONFIG_DIR / name
