"""Tokenizers that several stance workers may share.

A fast (Rust) tokenizer refuses to be called from two threads at once ("RuntimeError: Already
borrowed": transformers re-sets its padding and truncation on each call), and the stance stage
judges articles in parallel worker threads. Tokenizing is a small part of the work, so calls are
simply taken one at a time.
"""

import threading

from transformers import AutoTokenizer


class SharedTokenizer:
    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        self._lock = threading.Lock()

    def __call__(self, *args, **kwargs):
        with self._lock:
            return self.tokenizer(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.tokenizer, name)


def load_tokenizer(path) -> SharedTokenizer:
    return SharedTokenizer(AutoTokenizer.from_pretrained(str(path)))
