"""Loading a model without output a user cannot act on: transformers' "Loading weights" progress
bars, and the deprecation warnings transformers raises for peft's calls while adapters are merged."""

from contextlib import contextmanager
import warnings


@contextmanager
def quiet_loading():
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning, module=r"transformers\.")
        yield
