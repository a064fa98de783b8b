"""The reminder and mail settings (web/config.py): documented defaults, read from the environment, and
a bad value stopping the start-up with one line naming the setting."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from web.cli import main
from web.config import ConfigError, load_config
from web.reminder_jobs import job_settings

SMTP = {"SMTP_HOST": "mail.example.gov.cn", "MAIL_SENDER": "整改通 <zhenggai@example.gov.cn>"}


def test_by_default_reminders_are_not_mailed() -> None:
    settings = job_settings(load_config())
    assert settings.smtp is None and settings.reminders.mail is False
    assert (settings.reminders.window_days, settings.reminders.repeat_days,
            settings.reminders.verification_wait_days) == (10, 7, 7)
    assert (settings.policy.max_attempts, settings.policy.retry_seconds) == (5, 60)


@pytest.mark.parametrize(("security", "port"), [("starttls", 587), ("ssl", 465), ("none", 25)])
def test_the_port_follows_the_security_unless_given(security: str, port: int) -> None:
    smtp = job_settings(load_config({**SMTP, "SMTP_SECURITY": security})).smtp
    assert smtp is not None and (smtp.security, smtp.port) == (security, port)
    assert smtp.sender_domain == "example.gov.cn"


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": "2525", "SMTP_SECURITY": "none",
                       "MAIL_SENDER": "zhenggai@example.gov.cn", "MAIL_MAX_ATTEMPTS": "3",
                       "MAIL_RETRY_SECONDS": "30", "REMINDER_REPEAT_DAYS": "3", "VERIFICATION_WAIT_DAYS": "5",
                       "WARNING_WINDOW_DAYS": "14"}.items():
        monkeypatch.setenv(f"RECTIFLOW_{key}", value)
    settings = job_settings(load_config())
    assert settings.smtp is not None and (settings.smtp.host, settings.smtp.port) == ("127.0.0.1", 2525)
    assert settings.reminders.mail and (settings.reminders.window_days, settings.reminders.repeat_days,
                                        settings.reminders.verification_wait_days) == (14, 3, 5)
    assert (settings.policy.max_attempts, settings.policy.retry_seconds) == (3, 30)


@pytest.mark.parametrize(("override", "named"), [
    ({"SMTP_SECURITY": "tls"}, "SMTP_SECURITY must be one of none, starttls, ssl"),
    ({"SMTP_PORT": 70000}, "SMTP_PORT must be a port number"),
    ({"SMTP_PORT": "smtp"}, "SMTP_PORT must be a port number"),
    ({"SMTP_USERNAME": "zhenggai"}, "SMTP_USERNAME and SMTP_PASSWORD go together"),
    ({"SMTP_USERNAME": "zhenggai", "SMTP_PASSWORD": "secret", "SMTP_SECURITY": "none"}, "in the clear"),
    ({"MAIL_SENDER": None}, "MAIL_SENDER must be an e-mail address"),
    ({"MAIL_SENDER": "整改通"}, "MAIL_SENDER must be an e-mail address"),
    ({"MAIL_MAX_ATTEMPTS": 0}, "MAIL_MAX_ATTEMPTS must be a whole number >= 1"),
    ({"MAIL_RETRY_SECONDS": True}, "MAIL_RETRY_SECONDS must be a whole number >= 1"),
    ({"REMINDER_REPEAT_DAYS": 0}, "REMINDER_REPEAT_DAYS must be a whole number >= 1"),
    ({"VERIFICATION_WAIT_DAYS": "7"}, "VERIFICATION_WAIT_DAYS must be a whole number >= 1"),
])
def test_a_bad_value_stops_the_start_up_naming_the_setting(override: dict[str, object], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        load_config({**SMTP, **override})


def test_a_bad_value_in_the_environment_is_one_line_on_the_command_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECTIFLOW_SMTP_HOST", "mail.example.gov.cn")
    monkeypatch.setenv("RECTIFLOW_REMINDER_REPEAT_DAYS", "weekly")
    result = CliRunner().invoke(main, ["reminders", "--send"])
    assert result.exit_code != 0
    assert result.output.strip().splitlines() == [
        "Error: RECTIFLOW_REMINDER_REPEAT_DAYS must be a whole number, got 'weekly'"]
    monkeypatch.setenv("RECTIFLOW_REMINDER_REPEAT_DAYS", "7")
    result = CliRunner().invoke(main, ["reminders", "--send"])
    assert result.output.strip().splitlines() == [
        "Error: MAIL_SENDER must be an e-mail address when SMTP_HOST is set, got None"]
