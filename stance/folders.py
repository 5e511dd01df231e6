"""Where stance models live and how a model folder is found: no PyTorch, so a crawl can check
stance.yml's folders before it knows whether any article will need a model loaded."""

from pathlib import Path

MODELS_DIR = Path(__file__).resolve().parent / "models"
DEFAULT_MODEL_DIR = MODELS_DIR / "minilm-newsmtsc"
HEAD_FILE = "head.safetensors"
CONFIG_FILE = "config.json"


def model_directory(directory: str | Path | None = None) -> Path:
    """The folder of a model written by `StanceModel.save`: a path, or the name of one shipped in
    stance/models (the offline default when None); FileNotFoundError when it holds none."""
    directory = Path(directory or DEFAULT_MODEL_DIR)
    if not directory.exists() and (MODELS_DIR / directory).exists():  # a model shipped in stance/models
        directory = MODELS_DIR / directory
    if not (directory / CONFIG_FILE).exists():
        raise FileNotFoundError(
            f"no stance model in {directory}: expected {CONFIG_FILE} and {HEAD_FILE}; "
            "train one with `csto-monitor stance train`"
        )
    return directory
