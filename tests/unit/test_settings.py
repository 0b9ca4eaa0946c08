"""Settings refuse what would be unsafe: a weak secret in production, a proxy anyone can be."""

from __future__ import annotations

from pathlib import Path

import pytest

import landreg
import landreg.settings
from landreg.errors import ConfigurationError
from landreg.secret import SECRET_FILE_NAME
from landreg.settings import ApiSettings, DatabaseSettings

# What the source once shipped as the default: public, so never to be signed with again.
PUBLISHED_SECRET = "development-only-secret-change-me"


@pytest.fixture
def unset_secret(monkeypatch, tmp_path):
    monkeypatch.delenv("LANDREG_SECRET_KEY", raising=False)
    monkeypatch.setenv("LANDREG_DATA_DIR", str(tmp_path))
    return tmp_path


def test_production_refuses_a_weak_secret(monkeypatch):
    monkeypatch.setenv("LANDREG_ENVIRONMENT", "production")
    monkeypatch.setenv("LANDREG_SECRET_KEY", "x" * 31)
    with pytest.raises(ConfigurationError) as caught:
        ApiSettings()
    assert caught.value.field == "secret_key"


def test_production_accepts_a_real_secret_and_signs_with_it(monkeypatch, tmp_path):
    monkeypatch.setenv("LANDREG_ENVIRONMENT", "production")
    monkeypatch.setenv("LANDREG_SECRET_KEY", "x" * 40)
    monkeypatch.setenv("LANDREG_DATA_DIR", str(tmp_path))
    settings = ApiSettings()
    assert settings.signing_secret() == "x" * 40
    assert not (tmp_path / SECRET_FILE_NAME).exists()  # nothing drawn when one is given


@pytest.mark.parametrize("environment", ["development", "test", "production"])
def test_without_a_secret_one_is_drawn_in_every_environment(monkeypatch, unset_secret, environment):
    monkeypatch.setenv("LANDREG_ENVIRONMENT", environment)
    secret = ApiSettings().signing_secret()
    assert secret != PUBLISHED_SECRET and len(secret) >= 64
    assert (unset_secret / SECRET_FILE_NAME).read_text().strip() == secret
    assert ApiSettings().signing_secret() == secret  # kept: the next start reads it back


def test_an_empty_secret_is_unset(monkeypatch, unset_secret):
    monkeypatch.setenv("LANDREG_ENVIRONMENT", "production")
    monkeypatch.setenv("LANDREG_SECRET_KEY", "")
    secret = ApiSettings().signing_secret()
    assert len(secret) >= 64 and (unset_secret / SECRET_FILE_NAME).exists()


def test_no_known_secret_is_left_in_the_code():
    assert not hasattr(landreg.settings, "DEVELOPMENT_SECRET")
    root = Path(landreg.__file__).parents[1]
    sources = [*root.glob("landreg/**/*.py"), *root.glob("api/**/*.py")]
    assert len(sources) > 50
    assert [p for p in sources if PUBLISHED_SECRET in p.read_text(encoding="utf-8")] == []


def test_settings_are_built_without_touching_the_disk(unset_secret):
    ApiSettings()
    assert list(unset_secret.iterdir()) == []  # the secret is resolved by the app, not here


def test_trusted_proxies_are_addresses_or_networks(monkeypatch):
    assert ApiSettings().proxies == []
    monkeypatch.setenv("LANDREG_TRUSTED_PROXIES", " 127.0.0.1, 10.0.0.0/8 ,::1")
    assert ApiSettings().proxies == ["127.0.0.1", "10.0.0.0/8", "::1"]
    for wrong in ("*", "proxy.internal", "10.0.0.0/33"):
        monkeypatch.setenv("LANDREG_TRUSTED_PROXIES", f"127.0.0.1,{wrong}")
        with pytest.raises(ConfigurationError) as caught:
            ApiSettings()
        assert caught.value.field == "trusted_proxies" and caught.value.value == wrong


def test_embedded_spatialite_is_the_default(monkeypatch):
    monkeypatch.delenv("LANDREG_DATABASE_URL", raising=False)
    settings = DatabaseSettings()
    assert settings.backend == "spatialite"
    assert settings.url.endswith("var/landreg.sqlite")
    monkeypatch.setenv("LANDREG_DATABASE_URL", "postgresql+psycopg://u@db/landreg")
    assert DatabaseSettings().backend == "postgis"
