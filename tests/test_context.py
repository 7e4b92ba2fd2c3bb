"""Context windows (where each comes from) and what of a conversation a chat reply sends."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promptstudio_tui import tokens
from promptstudio_tui.context import ASSUMED_WINDOW, Omission, Window, fit_chat, resolve_window, table_window

MODEL = "gpt-4o-mini"


@pytest.mark.parametrize(
    ("model", "window"),
    [
        # OpenAI
        ("gpt-4o-mini", 128_000),
        ("gpt-4.1-nano", 1_047_576),
        ("gpt-4-0613", 8_192),
        ("gpt-4-1106-preview", 128_000),
        ("gpt-3.5-turbo", 16_385),
        ("o3-mini", 200_000),
        ("gpt-5", 400_000),
        # Llama, as Ollama, OpenRouter and Hugging Face spell it
        ("llama3.1", 131_072),
        ("llama3.1:8b", 131_072),
        ("llama3.2:3b-instruct-q4_K_M", 131_072),
        ("llama3.3:70b", 131_072),
        ("meta-llama/llama-3.1-70b-instruct", 131_072),
        ("meta-llama/Meta-Llama-3.1-8B-Instruct", 131_072),
        ("nousresearch/hermes-3-llama-3.1-405b", 131_072),
        ("llama3", 8_192),
        ("llama3:70b", 8_192),
        ("meta-llama/Meta-Llama-3-8B-Instruct", 8_192),
        # Qwen
        ("qwen2.5:7b-instruct", 32_768),
        ("Qwen/Qwen2.5-72B-Instruct", 32_768),
        ("qwen3:8b", 32_768),
        # Mistral
        ("mistral", 32_768),
        ("mistral:7b-instruct", 32_768),
        ("mistral-nemo", 131_072),
        ("mistralai/mixtral-8x7b-instruct", 32_768),
        # Gemma
        ("gemma2:9b", 8_192),
        ("gemma3:12b", 131_072),
        ("gemma3:1b", 32_768),
        ("google/gemma-3-27b-it", 131_072),
        # Phi
        ("phi3", 4_096),
        ("phi3:medium-128k", 131_072),
        ("phi4", 16_384),
        ("microsoft/phi-4-mini-instruct", 131_072),
        # DeepSeek, before the families they are distilled from
        ("deepseek-r1:8b", 131_072),
        ("deepseek/deepseek-r1-distill-llama-70b", 131_072),
        ("deepseek-v3", 131_072),
        ("deepseek-chat", 65_536),
        ("deepseek-coder-v2:16b", 131_072),
    ],
)
def test_table_knows_common_families_however_spelled(model: str, window: int) -> None:
    assert table_window(model) == window


@pytest.mark.parametrize("model", ["loopback-small", "my-finetune", "", "olmo2", "llama"])
def test_table_does_not_guess(model: str) -> None:
    assert table_window(model) is None


def test_window_precedence_and_source() -> None:
    # The user's setting beats what the endpoint reports (servers report trained maxima).
    assert resolve_window("llama3.1", configured=16_000, endpoint=131_072) == Window(16_000, "config")
    assert resolve_window("llama3.1", endpoint=4_096) == Window(4_096, "endpoint")
    assert resolve_window("llama3.1") == Window(131_072, "table")
    assert resolve_window("my-finetune") == Window(ASSUMED_WINDOW, "assumed")
    assert resolve_window("my-finetune", configured=0, endpoint=0).assumed


def test_window_says_where_it_came_from() -> None:
    assert Window(8_192, "assumed").describe() == "8,192 tokens (assumed)"
    assert Window(131_072, "endpoint").describe() == "131,072 tokens (reported by the endpoint)"
    assert "config.toml" in Window(16_000, "config").describe()
    assert not Window(128_000, "table").assumed


def conversation(count: int, words: int = 40) -> list[dict[str, str]]:
    return [
        {"role": "user" if i % 2 == 0 else "assistant", "content": f"turn {i} " + "word " * words, "id": f"m{i}"}
        for i in range(count)
    ]


def test_chat_sends_everything_that_fits_and_nothing_else() -> None:
    turns = conversation(6)
    sent = fit_chat("system", turns, model=MODEL, window=Window(100_000, "table"), reply_tokens=800)
    assert sent.omitted is None
    assert sent.messages == [{"role": "system", "content": "system"}] + [
        {"role": t["role"], "content": t["content"]}
        for t in turns  # the id is not sent
    ]
    assert sent.tokens == tokens.count_chat(sent.messages, MODEL)


def test_chat_keeps_the_goal_and_the_newest_and_reports_the_cut() -> None:
    turns = conversation(30)
    window = Window(1_500, "assumed")
    sent = fit_chat("system", turns, model=MODEL, window=window, reply_tokens=500)
    assert sent.omitted is not None and sent.omitted.start == 1  # turn 0 (the goal) was kept
    kept = [m["content"] for m in sent.messages[1:]]
    assert kept[0] == turns[0]["content"] and kept[-1] == turns[-1]["content"]
    assert kept == [t["content"] for t in turns[: sent.omitted.start] + turns[sent.omitted.end :]]
    assert len(kept) + sent.omitted.count == 30
    assert tokens.count_chat(sent.messages, MODEL) <= 1_000
    # One turn more would not have fit.
    widened = turns[: sent.omitted.start] + turns[sent.omitted.end - 1 :]
    plain = [{"role": t["role"], "content": t["content"]} for t in widened]
    assert tokens.count_chat([sent.messages[0], *plain], MODEL) > 1_000
    assert sent.omitted.describe() == f"{sent.omitted.count} earlier turns not sent to the model"


def test_the_goal_is_the_first_user_turn_even_after_an_opening_reply() -> None:
    turns = [{"role": "assistant", "content": "Hello! What do you need?"}, *conversation(20)]
    sent = fit_chat("system", turns, model=MODEL, window=Window(1_200, "assumed"), reply_tokens=400)
    assert [m["content"] for m in sent.messages[1:3]] == [turns[0]["content"], turns[1]["content"]]
    assert sent.omitted is not None and sent.omitted.start == 2


def test_the_newest_turn_is_sent_even_when_it_alone_is_too_long() -> None:
    turns = conversation(3, words=2_000)
    sent = fit_chat("system", turns, model=MODEL, window=Window(1_000, "assumed"), reply_tokens=200)
    assert [m["content"] for m in sent.messages[1:]] == [turns[-1]["content"]]
    assert sent.omitted == Omission(0, 2)
    assert Omission(5, 1).describe() == "1 earlier turn not sent to the model"


@settings(max_examples=60, deadline=None)
@given(
    lengths=st.lists(st.integers(min_value=0, max_value=120), min_size=0, max_size=25),
    window=st.integers(min_value=50, max_value=3_000),
    first_role=st.sampled_from(["user", "assistant"]),
)
def test_chat_omission_always_accounts_for_exactly_the_missing_turns(
    lengths: list[int], window: int, first_role: str
) -> None:
    roles = ["user", "assistant"] if first_role == "user" else ["assistant", "user"]
    turns = [{"role": roles[i % 2], "content": f"t{i} " + "w " * n} for i, n in enumerate(lengths)]
    sent = fit_chat("sys", turns, model=MODEL, window=Window(window, "config"), reply_tokens=20)
    kept = [m["content"] for m in sent.messages[1:]]
    omitted = sent.omitted or Omission(len(turns), 0)
    assert kept == [t["content"] for t in turns[: omitted.start] + turns[omitted.end :]]
    if turns:
        assert kept[-1] == turns[-1]["content"]  # the newest turn always goes
    if len(kept) > 1:
        assert sent.tokens <= window - 20
