"""Secrets are replaced by a marker naming what kind of thing was removed, never the value."""

from __future__ import annotations

from aima_ci.safety.redact import Redactor


def test_env_values_with_credential_names_are_redacted():
    r = Redactor({"MY_API_KEY": "abcdef123456", "HOME": "/root", "DB_PASSWORD": "hunter2hunter2"})
    out = r.text("key=abcdef123456 home=/root pw=hunter2hunter2")
    assert out == "key=[REDACTED:env:MY_API_KEY] home=/root pw=[REDACTED:env:DB_PASSWORD]"
    assert r.note() == {"env:DB_PASSWORD": 1, "env:MY_API_KEY": 1}


def test_short_values_are_not_treated_as_secrets():
    r = Redactor({"TOKEN": "1"})
    assert r.text("version 1.2.1") == "version 1.2.1"


def test_common_key_formats_are_redacted_without_env():
    r = Redactor({})
    text = (
        "sk-proj-abcdefghijklmnopqrstuvwx ghp_abcdefghijklmnopqrstuvwxyz0123 AKIAABCDEFGHIJKLMNOP "
        "Authorization: Bearer abcdefghijklmnopqrstuvwxyz hf_abcdefghijklmnopqrstuvwxyz"
    )
    out = r.text(text)
    for kind in (
        "openai-key",
        "github-token",
        "aws-access-key",
        "bearer-token",
        "huggingface-token",
    ):
        assert f"[REDACTED:{kind}]" in out
    assert "abcdefghijklmnop" not in out


def test_nested_data():
    r = Redactor({"X_SECRET": "s3cr3t-value"})
    data = {"a": ["s3cr3t-value", {"b": "x s3cr3t-value"}], "n": 1}
    assert r.data(data) == {
        "a": ["[REDACTED:env:X_SECRET]", {"b": "x [REDACTED:env:X_SECRET]"}],
        "n": 1,
    }


def test_variables_named_by_env_keys_are_secrets_whatever_their_name():
    from aima_ci.safety.redact import named_env_values

    env = {"SHOPBOT_CREDENTIAL_X": "opaque-value-123", "MODEL": "gpt"}
    extra = named_env_values([{"api_key_env": "SHOPBOT_CREDENTIAL_X", "target": "x"}], env)
    assert extra == {"opaque-value-123": "SHOPBOT_CREDENTIAL_X"}
    r = Redactor({}, extra=extra)
    assert r.text("key opaque-value-123") == "key [REDACTED:env:SHOPBOT_CREDENTIAL_X]"


def test_runner_redacts_values_of_named_variables(repo, write_config, monkeypatch):
    from aima_ci.config import load_config
    from aima_ci.evidence.collect import collect

    monkeypatch.setenv("PLAIN_NAME", "value-that-is-secret-42")
    cfg = load_config(
        write_config(
            {
                "collectors": {
                    "testplugin": {
                        "behaviour": "input_error",
                        "note": "value-that-is-secret-42",
                        "token_env": "PLAIN_NAME",
                    }
                }
            }
        ),
        cwd=repo,
    )
    collect(cfg, repo / ".aima")
    for path in (repo / ".aima").rglob("*"):
        if path.is_file():
            assert "value-that-is-secret-42" not in path.read_text(errors="replace"), path


def test_file_redaction_across_blocks_keeps_every_other_byte(tmp_path, monkeypatch):
    """Files are redacted in blocks cut at line ends; the copy starts at the first block that
    changes: the lines before it, between and after the secrets come through unchanged."""
    from aima_ci.safety import redact

    monkeypatch.setattr(redact, "BLOCK", 1 << 16)
    r = Redactor({"X_TOKEN": "s3cr3t-planted-value"})
    lines = [f"line {i} {'x' * 50}\n" for i in range(10_000)]
    lines[3000] = "has s3cr3t-planted-value here\n"
    lines[7000] = "and sk-proj-abcdefghijklmnopqrstuvwx\n"
    path = tmp_path / "big.log"
    path.write_text("".join(lines))
    assert r.file(path) is True
    expected = list(lines)
    expected[3000] = "has [REDACTED:env:X_TOKEN] here\n"
    expected[7000] = "and [REDACTED:openai-key]\n"
    assert path.read_text().splitlines(keepends=True) == expected
    assert r.note() == {"env:X_TOKEN": 1, "openai-key": 1}
