"""Which loopback ports the first start asks: the usual three, those PROMPTSTUDIO_LOCAL_SERVERS
names, or none ("off", the suite's default from conftest.py). Every port here is one the test
opened (or found closed) on 127.0.0.1: no test asks 11434, 1234 or 8000 of this machine."""

from __future__ import annotations

from pathlib import Path

import pytest

from clitools import RecordingListener, cli_env, closed_port, port_of, run_cli
from loopback import LoopbackServer
from promptstudio_tui.local_servers import ENV_VAR, USUAL, LocalServer, from_environment, parse_servers
from promptstudio_tui.studio import Studio

BEFORE = (
    'PROMPTSTUDIO_LOCAL_SERVERS should be "off" or NAME=PORT pairs such as "Ollama=11434,vLLM=8001" '
    "(ports on 127.0.0.1), but "
)
AFTER = ": no local server is looked for."


def test_no_test_asks_a_real_port_unless_it_says_so(no_keyring: None) -> None:
    """The guard conftest.py sets for every test: an unconfigured studio asks nothing."""
    studio = Studio.open()
    try:
        assert studio.needs_setup() and studio.local_servers == () and studio.local_servers_to_offer() == []
    finally:
        studio.close()


def test_unset_means_the_usual_three_and_off_or_empty_means_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR)
    assert from_environment() == USUAL
    assert [(s.name, s.port) for s in USUAL] == [("Ollama", 11434), ("LM Studio", 1234), ("vLLM", 8000)]
    for off in ("off", " OFF ", "", "  "):
        monkeypatch.setenv(ENV_VAR, off)
        assert from_environment() == ()


def test_names_and_ports_are_read_as_written() -> None:
    assert parse_servers(" Ollama = 11434 , My vLLM=8001,") == (
        LocalServer("Ollama", 11434),
        LocalServer("My vLLM", 8001),
    )


def test_a_server_on_a_named_port_is_found_and_named(
    endpoint: LoopbackServer, no_keyring: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_VAR, f"Mine={port_of(endpoint)},Nothing here={closed_port()}")
    studio = Studio.open()
    try:
        [found] = studio.local_servers_to_offer() or []
    finally:
        studio.close()
    assert found.server == LocalServer("Mine", port_of(endpoint)) and found.server.base_url == endpoint.base_url
    assert found.models == ("loopback-large", "loopback-small") and found.model == "loopback-large"
    assert [r.path for r in endpoint.requests] == ["/v1/models"]  # one GET each, nothing more


@pytest.mark.parametrize(("value", "asked"), [("Mine={port}", 1), ("off", 0)], ids=["named", "off"])
def test_only_the_named_ports_are_asked_and_off_asks_none(
    value: str, asked: int, listener: RecordingListener, no_keyring: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A listener the test owns counts connections: named, it is asked once; "off", never."""
    monkeypatch.setenv(ENV_VAR, value.format(port=listener.port))
    studio = Studio.open()
    try:
        assert studio.local_servers_to_offer() == []  # it answers nothing: no server to offer either way
    finally:
        studio.close()
    assert listener.connections == asked
    assert (studio.local_servers == ()) is (asked == 0)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("Ollama", "'Ollama' has no =PORT"),
        ("Ollama=127.0.0.1:11434", "the port '127.0.0.1:11434' is not a number from 1 to 65535"),
        ("Ollama=11434,vLLM=99999", "the port '99999' is not a number from 1 to 65535"),
        ("Ollama=0", "the port '0' is not a number from 1 to 65535"),
        ("Ollama=١٢٣٤", "the port '١٢٣٤' is not a number from 1 to 65535"),  # digits, but not ASCII ones
        ("=8001", "the name '' is not 1 to 40 printable characters"),
        ("\x1b]52;c;eA==\x07=8001", "the name '\\x1b]52;c;eA==\\x07' is not 1 to 40 printable characters"),
        ("x" * 41 + "=8001", f"the name '{'x' * 39}…' is not 1 to 40 printable characters"),
    ],
    ids=["no-port", "a-host", "port-too-big", "port-zero", "not-ascii-digits", "no-name", "escape", "long-name"],
)
def test_a_malformed_value_is_one_sentence_that_says_what_is_wrong(value: str, problem: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_servers(value)
    assert str(raised.value) == BEFORE + problem + AFTER
    assert "\n" not in str(raised.value) and "\x1b" not in str(raised.value)


def test_a_malformed_value_opens_the_studio_with_a_notice_and_asks_nothing(
    listener: RecordingListener, no_keyring: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_VAR, f"Mine={listener.port},Ollama")
    studio = Studio.open()
    try:
        assert studio.notices == [BEFORE + "'Ollama' has no =PORT" + AFTER]
        assert studio.local_servers == () and studio.local_servers_to_offer() == []
    finally:
        studio.close()
    assert listener.connections == 0  # the good half of a bad value is not asked either


def test_the_cli_says_a_malformed_value_in_one_line_and_carries_on(home: Path) -> None:
    result = run_cli(cli_env(home, None, None, **{ENV_VAR: "Ollama=localhost:11434"}), "conversations", "list")
    assert result.returncode == 0 and "Traceback" not in result.stderr
    problem = "the port 'localhost:11434' is not a number from 1 to 65535"
    assert result.stderr == f"promptstudio: {BEFORE}{problem}{AFTER}\n"
