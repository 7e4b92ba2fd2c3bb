"""Offline token counting with tiktoken.

The BPE rank files ship gzipped in ``data/`` so counting never touches the
network (users behind firewalls; the design forbids run-time downloads).
tiktoken itself is imported lazily: this module sits on the UI start-up path.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from promptstudio_tui import token_estimate

if TYPE_CHECKING:
    import tiktoken

_DATA_DIR = Path(__file__).parent / "data"

_FALLBACK_ENCODING = "o200k_base"

# Ordered: the o200k families must be tested before the bare "gpt-4" rule.
_O200K_PREFIXES = ("gpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "o1", "o3", "o4", "chatgpt-4o")
# "gpt-35-" is Azure's spelling of gpt-3.5 deployments.
_CL100K_PREFIXES = ("gpt-4-", "gpt-3.5", "gpt-35-", "text-embedding-3")
_CL100K_NAMES = ("gpt-4", "text-embedding-ada-002")

# Per-request overheads from the OpenAI cookbook ("How to count tokens with tiktoken").
_TOKENS_PER_MESSAGE = 3
_TOKENS_PER_NAME = 1
_REPLY_PRIMING = 3

_FALLBACK_SLICE = 100_000


class EncodingDataError(RuntimeError):
    """A shipped encoding file is missing or does not match tiktoken's published hash."""


@dataclass(frozen=True)
class TokenCount:
    tokens: int
    encoding: str  # "o200k_base" or "cl100k_base"
    exact: bool  # False when the model is unknown and o200k_base was used as an estimate


def encoding_name_for(model: str) -> tuple[str, bool]:
    """Return (encoding name, exact) for a model id, ignoring any "provider/" prefix."""
    name = model.strip().rsplit("/", 1)[-1].lower()
    if name.startswith(_O200K_PREFIXES):
        return "o200k_base", True
    if name in _CL100K_NAMES or name.startswith(_CL100K_PREFIXES):
        return "cl100k_base", True
    return _FALLBACK_ENCODING, False


def count(text: str, model: str = "gpt-4o") -> TokenCount:
    name, exact = encoding_name_for(model)
    tokens, whole = _count(_get_encoding(name), text)
    return TokenCount(tokens, name, exact and whole)


def count_chat(messages: list[dict[str, str]], model: str = "gpt-4o") -> int:
    """Prompt tokens for a chat request, including the per-message framing."""
    name = encoding_name_for(model)[0]
    total = _REPLY_PRIMING
    for message in messages:
        total += _TOKENS_PER_MESSAGE
        for key, value in message.items():
            total += _count_cached(name, value)
            if key == "name":
                total += _TOKENS_PER_NAME
    return total


@functools.lru_cache(maxsize=4096)
def _count_cached(encoding: str, text: str) -> int:
    """Every request re-counts the whole history; each turn is tokenized once."""
    return _count(_get_encoding(encoding), text)[0]


def rough_estimate(text: str) -> int:
    """Instant guess for live hints before the exact count arrives (token_estimate.py)."""
    return token_estimate.estimate(text)


def _count(enc: tiktoken.Encoding, text: str) -> tuple[int, bool]:
    """Return (tokens, exact). User text may contain "<|endoftext|>": count it as plain text."""
    try:
        return len(enc.encode(text, disallowed_special=())), True
    except ValueError:
        # tiktoken's backtracking regex gives up on ~1M-character runs of spaces/tabs
        # (o200k_base); count in slices instead: off by a token or two per cut.
        step = _FALLBACK_SLICE
        slices = (text[i : i + step] for i in range(0, len(text), step))
        return sum(len(enc.encode(s, disallowed_special=())) for s in slices), False


_cache: dict[str, tiktoken.Encoding] = {}
# One lock for building and for the module-global swap below: building twice in
# parallel would waste ~0.4 s and memory, and the swap must never interleave.
_build_lock = threading.Lock()


def _get_encoding(name: str) -> tiktoken.Encoding:
    """Build (once, thread-safe) a tiktoken Encoding from the shipped, verified data."""
    enc = _cache.get(name)
    if enc is not None:
        return enc
    with _build_lock:
        enc = _cache.get(name)
        if enc is None:
            enc = _cache[name] = _build(name)
    return enc


def _build(name: str) -> tiktoken.Encoding:
    import tiktoken
    from tiktoken_ext import openai_public

    # Let tiktoken's own constructor supply pat_str, special tokens and the expected
    # hash, but hand it our loader instead of the downloading one.
    original = openai_public.load_tiktoken_bpe
    openai_public.load_tiktoken_bpe = _load_shipped_bpe
    try:
        params = openai_public.ENCODING_CONSTRUCTORS[name]()
    finally:
        openai_public.load_tiktoken_bpe = original
    return tiktoken.Encoding(**params)


def _load_shipped_bpe(url: str, expected_hash: str | None = None) -> dict[bytes, int]:
    import base64
    import gzip
    import hashlib
    import zlib

    path = _DATA_DIR / (url.rsplit("/", 1)[-1] + ".gz")
    if expected_hash is None:
        raise EncodingDataError(f"tiktoken gave no expected hash for {url}; refusing unverified data")
    try:
        data = gzip.decompress(path.read_bytes())
    except (OSError, EOFError, zlib.error) as exc:  # missing, unreadable or truncated file
        raise EncodingDataError(f"cannot read shipped encoding file {path}: {exc}") from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != expected_hash:
        raise EncodingDataError(f"shipped encoding file {path} is corrupt: sha256 {digest} != expected {expected_hash}")
    ranks: dict[bytes, int] = {}
    for line in data.splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks
