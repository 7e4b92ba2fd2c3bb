from __future__ import annotations

import gzip
import socket
import subprocess
import sys
import threading
import urllib.request

import pytest

from promptstudio_tui import token_estimate, tokens

# Reference counts cross-checked against the independent pure-Python
# implementation `puretiktoken` 0.2.1 (its own pre-tokenizer and BPE merge loop).
SAMPLES = {
    "hello world": (2, 2),
    "": (0, 0),
    "<|endoftext|>": (7, 7),
    "Größenordnung über Straßenbahnhaltestelle": (11, 13),
    "東京は日本の首都です。": (8, 11),
    "Привет, как дела? Всё хорошо.": (9, 17),
    "🙂👍🏽 family: 👨‍👩‍👧‍👦": (17, 27),
    "def fib(n: int) -> int:\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n": (31, 31),
    "1234567890 3.14159 -42": (11, 11),
    "line one\n\n\tindented   spaces  \r\nend": (10, 10),
}


@pytest.mark.parametrize(("text", "expected"), SAMPLES.items())
def test_known_counts(text: str, expected: tuple[int, int]) -> None:
    o200k, cl100k = expected
    assert tokens.count(text, "gpt-4o") == tokens.TokenCount(o200k, "o200k_base", True)
    assert tokens.count(text, "gpt-4") == tokens.TokenCount(cl100k, "cl100k_base", True)


def test_known_token_ids() -> None:
    # Published examples: tiktoken README (cl100k) and the o200k vocabulary.
    assert tokens._get_encoding("cl100k_base").encode("hello world") == [15339, 1917]
    assert tokens._get_encoding("o200k_base").encode("hello world") == [24912, 2375]


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("gpt-4o", ("o200k_base", True)),
        ("gpt-4o-mini-2024-07-18", ("o200k_base", True)),
        ("chatgpt-4o-latest", ("o200k_base", True)),
        ("gpt-4.1-nano", ("o200k_base", True)),
        ("gpt-4.5-preview", ("o200k_base", True)),
        ("gpt-5-mini", ("o200k_base", True)),
        ("o1-preview", ("o200k_base", True)),
        ("o3-mini", ("o200k_base", True)),
        ("o4-mini", ("o200k_base", True)),
        ("openai/gpt-4o", ("o200k_base", True)),
        ("GPT-4o", ("o200k_base", True)),
        ("gpt-4", ("cl100k_base", True)),
        ("gpt-4-turbo", ("cl100k_base", True)),
        ("gpt-4-0613", ("cl100k_base", True)),
        ("openai/gpt-4-turbo", ("cl100k_base", True)),
        ("gpt-3.5-turbo", ("cl100k_base", True)),
        ("gpt-35-turbo", ("cl100k_base", True)),
        ("text-embedding-3-small", ("cl100k_base", True)),
        ("text-embedding-ada-002", ("cl100k_base", True)),
        ("llama3.1:8b", ("o200k_base", False)),
        ("anthropic/claude-3.5-sonnet", ("o200k_base", False)),
        ("gpt-4x", ("o200k_base", False)),
        ("", ("o200k_base", False)),
    ],
)
def test_model_mapping(model: str, expected: tuple[str, bool]) -> None:
    assert tokens.encoding_name_for(model) == expected


def test_unknown_model_is_an_estimate() -> None:
    assert tokens.count("hello world", "mistral-large") == tokens.TokenCount(2, "o200k_base", False)


def test_count_chat_adds_cookbook_overheads() -> None:
    messages = [
        {"role": "system", "content": "You are helpful."},
        {"role": "user", "content": "hello world", "name": "ann"},
    ]
    # 3 priming + per message 3 + tokens of every value, +1 for "name".
    expected = 3 + sum(3 + sum(tokens.count(v).tokens for v in m.values()) + ("name" in m) for m in messages)
    assert tokens.count_chat(messages) == expected == 19
    assert tokens.count_chat([]) == 3


def test_rough_estimate() -> None:
    assert tokens.rough_estimate("") == 0
    assert tokens.rough_estimate("abc") == 1
    assert tokens.rough_estimate("a" * 400) == 100


@pytest.mark.parametrize(
    "text", ["我需要一个提示词来写发布说明", "リリースノートを書いてください", "릴리스 노트를 써 주세요"]
)
def test_the_estimate_for_cjk_is_about_a_token_a_character(text: str) -> None:
    """Not a quarter of one: within a factor of two of both encodings' exact counts."""
    guess = tokens.rough_estimate(text)
    for model in ("gpt-4o", "gpt-4"):
        exact = tokens.count(text, model).tokens
        assert exact / 2 <= guess <= exact * 2, (model, exact, guess)


def test_a_count_is_written_with_its_kind() -> None:
    assert token_estimate.label(32, exact=True) == "32 tokens"
    assert token_estimate.label(1, exact=True) == "1 token"
    assert token_estimate.label(1_234, exact=False) == "~1,234 tokens (estimate)"
    assert token_estimate.label(32, exact=False, say_estimate=False) == "~32 tokens"


def test_long_whitespace_run_does_not_crash() -> None:
    # tiktoken's regex backtracking gives up on ~1M spaces with o200k_base.
    result = tokens.count(" " * 1_000_000, "gpt-4o")
    assert result.encoding == "o200k_base" and not result.exact
    assert 0 < result.tokens < 20_000


@pytest.fixture
def fresh_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokens, "_cache", {})


def test_building_makes_no_network_attempt(monkeypatch: pytest.MonkeyPatch, fresh_cache: None) -> None:
    import requests
    import tiktoken.load
    from tiktoken_ext import openai_public

    calls: list[str] = []

    def forbidden(name: str):
        def fail(*args: object, **kwargs: object) -> None:
            calls.append(name)
            raise AssertionError(f"network path used: {name}")

        return fail

    monkeypatch.setattr(socket.socket, "connect", forbidden("socket.connect"))
    monkeypatch.setattr(socket, "create_connection", forbidden("socket.create_connection"))
    monkeypatch.setattr(tiktoken.load, "read_file_cached", forbidden("read_file_cached"))
    monkeypatch.setattr(tiktoken.load, "read_file", forbidden("read_file"))
    monkeypatch.setattr(requests.Session, "request", forbidden("requests"))
    monkeypatch.setattr(urllib.request, "urlopen", forbidden("urlopen"))
    original_loader = openai_public.load_tiktoken_bpe

    assert tokens.count("hello world", "gpt-4o").tokens == 2
    assert tokens.count("hello world", "gpt-4").tokens == 2
    assert calls == []
    assert openai_public.load_tiktoken_bpe is original_loader


def test_corrupt_data_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path, fresh_cache: None) -> None:
    from tiktoken_ext import openai_public

    (tmp_path / "o200k_base.tiktoken.gz").write_bytes(gzip.compress(b"IQ== 0\nIg== 1\n"))
    monkeypatch.setattr(tokens, "_DATA_DIR", tmp_path)
    original_loader = openai_public.load_tiktoken_bpe

    with pytest.raises(tokens.EncodingDataError, match="corrupt"):
        tokens.count("hello", "gpt-4o")
    assert openai_public.load_tiktoken_bpe is original_loader
    assert tokens._cache == {}


def test_truncated_or_missing_data_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path, fresh_cache: None) -> None:
    (tmp_path / "o200k_base.tiktoken.gz").write_bytes(gzip.compress(b"IQ== 0\n" * 1000)[:50])
    monkeypatch.setattr(tokens, "_DATA_DIR", tmp_path)
    with pytest.raises(tokens.EncodingDataError, match="cannot read"):
        tokens.count("hello", "gpt-4o")
    with pytest.raises(tokens.EncodingDataError, match="cannot read"):
        tokens.count("hello", "gpt-4")


def test_concurrent_first_use_builds_once(fresh_cache: None) -> None:
    built: list[object] = []
    threads = [threading.Thread(target=lambda: built.append(tokens._get_encoding("cl100k_base"))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(built) == 4 and all(enc is built[0] for enc in built)


def test_import_does_not_load_tiktoken() -> None:
    code = "import sys, promptstudio_tui.tokens; sys.exit('tiktoken' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
