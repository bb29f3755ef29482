"""Settings: every bad value is named with what is expected, all at once."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from service.config import VARIABLES, ConfigError, Settings, load_settings, markdown_table


def test_embedded_default_needs_no_setting_and_keeps_its_own_key(tmp_path):
    settings = load_settings({"CONVIER_VAR_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'convier.sqlite'}"
    assert settings.broker_url.startswith("sqla+sqlite:///")
    assert settings.timezone == "Europe/Paris"
    assert settings.mail_backend == "file"
    again = load_settings({"CONVIER_VAR_DIR": str(tmp_path)})
    assert again.secret_key == settings.secret_key
    assert len(settings.secret_key) >= 32


def test_every_bad_value_is_reported_by_name(tmp_path):
    with pytest.raises(ConfigError) as error:
        load_settings(
            {
                "CONVIER_VAR_DIR": str(tmp_path),
                "DATABASE_URL": "mysql://db/convier",
                "REDIS_URL": "http://redis",
                "BASE_URL": "example.org",
                "TIMEZONE": "Europe/Nowhere",
                "MAIL_BACKEND": "pigeon",
                "SMTP_URL": "ftp://mail",
                "TICK_SECONDS": "soon",
                "MAIL_RATE_PER_MINUTE": "-5",
                "MAIL_BATCH_SIZE": "many",
                "MAIL_RETRY_SECONDS": "0",
                "MAIL_SENDING_TIMEOUT": "x",
                "SENDGRID_WEBHOOK_PUBLIC_KEY": "bm90IGEga2V5",
            }
        )
    named = {problem.split(":")[0] for problem in error.value.problems}
    assert named == {
        "DATABASE_URL", "REDIS_URL", "BASE_URL", "TIMEZONE",
        "MAIL_BACKEND", "SMTP_URL", "TICK_SECONDS", "SECRET_KEY", "MAIL_RATE_PER_MINUTE",
        "MAIL_BATCH_SIZE", "MAIL_RETRY_SECONDS", "MAIL_SENDING_TIMEOUT",
        "SENDGRID_WEBHOOK_PUBLIC_KEY",
    }  # fmt: skip


def test_backends_require_their_settings(tmp_path):
    with pytest.raises(ConfigError) as error:
        load_settings({"CONVIER_VAR_DIR": str(tmp_path), "MAIL_BACKEND": "sendgrid"})
    assert any(p.startswith("SENDGRID_API_KEY:") for p in error.value.problems)


def test_old_keys_verify_and_the_new_key_signs(tmp_path):
    settings = load_settings(
        {
            "CONVIER_VAR_DIR": str(tmp_path),
            "SECRET_KEY": "n" * 20,
            "SECRET_KEYS_OLD": "a" * 20 + ", " + "b" * 20,
        }
    )
    assert settings.signing_keys == ["a" * 20, "b" * 20, "n" * 20]


def test_a_claim_must_outlast_any_request_in_flight(tmp_path):
    base = {"CONVIER_VAR_DIR": str(tmp_path), "MAIL_BACKEND": "smtp", "SMTP_URL": "smtp://mx"}
    with pytest.raises(ConfigError) as error:
        load_settings({**base, "MAIL_SENDING_TIMEOUT": "300", "MAIL_REQUEST_TIMEOUT": "30"})
    [problem] = error.value.problems
    assert problem.startswith("MAIL_SENDING_TIMEOUT: must be at least twice")
    assert "300 s with MAIL_BACKEND=smtp" in problem
    fine = load_settings({**base, "MAIL_SENDING_TIMEOUT": "300", "MAIL_REQUEST_TIMEOUT": "10"})
    assert fine.mail_in_flight_seconds == 100


def test_rate_limits_are_checked_and_name_their_variable(tmp_path):
    with pytest.raises(ConfigError) as error:
        load_settings({"CONVIER_VAR_DIR": str(tmp_path), "RATE_LIMIT_PER_LINK": "lots"})
    assert [p.split(":")[0] for p in error.value.problems] == ["RATE_LIMIT_PER_LINK"]
    settings = load_settings(
        {"CONVIER_VAR_DIR": str(tmp_path), "RATE_LIMIT_PER_ADDRESS": "5 per second"}
    )
    assert settings.client_rate_limit == "5 per second"


def test_every_setting_is_a_variable_and_the_readme_lists_them_all():
    assert sorted(v.field for v in VARIABLES) == sorted(f.name for f in fields(Settings))
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert markdown_table() in readme, (
        "paste service.config.markdown_table() into README.md's Configuration section:\n"
        + markdown_table()
    )


def test_a_real_mail_backend_needs_an_https_base_url(tmp_path):
    smtp = {"CONVIER_VAR_DIR": str(tmp_path), "MAIL_BACKEND": "smtp", "SMTP_URL": "smtp://m:25"}
    with pytest.raises(ConfigError) as error:
        load_settings({**smtp, "BASE_URL": "http://convier.example.org"})
    assert [p.split(":")[0] for p in error.value.problems] == ["BASE_URL"]
    assert "one-click unsubscribe needs HTTPS" in error.value.problems[0]
    assert load_settings({**smtp, "BASE_URL": "https://convier.example.org"}).base_url
    assert load_settings({**smtp, "BASE_URL": "http://localhost:8000"}).base_url  # a trial
    assert load_settings({"CONVIER_VAR_DIR": str(tmp_path), "BASE_URL": "http://x.org"})


def test_secrets_can_be_read_from_files(tmp_path):
    key = tmp_path / "secret_key"
    key.write_text("a-secret-from-a-file-0123456789\n")
    settings = load_settings(
        {
            "CONVIER_VAR_DIR": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
            "SECRET_KEY_FILE": str(key),
        }
    )
    assert settings.secret_key == "a-secret-from-a-file-0123456789"
    with pytest.raises(ConfigError) as error:
        load_settings({"CONVIER_VAR_DIR": str(tmp_path), "SMTP_URL_FILE": str(tmp_path / "no")})
    assert error.value.problems == [
        f"SMTP_URL_FILE: cannot read {tmp_path / 'no'} (No such file or directory)"
    ]
