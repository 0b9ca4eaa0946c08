"""Settings refuse what would be unsafe in production."""

from __future__ import annotations

import pytest

from landreg.errors import ConfigurationError
from landreg.settings import ApiSettings, DatabaseSettings


def test_production_refuses_the_development_secret(monkeypatch):
    monkeypatch.setenv("LANDREG_ENVIRONMENT", "production")
    monkeypatch.delenv("LANDREG_SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError) as caught:
        ApiSettings()
    assert caught.value.field == "secret_key"


def test_production_accepts_a_real_secret(monkeypatch):
    monkeypatch.setenv("LANDREG_ENVIRONMENT", "production")
    monkeypatch.setenv("LANDREG_SECRET_KEY", "x" * 40)
    assert ApiSettings().environment == "production"


def test_embedded_spatialite_is_the_default(monkeypatch):
    monkeypatch.delenv("LANDREG_DATABASE_URL", raising=False)
    settings = DatabaseSettings()
    assert settings.backend == "spatialite"
    assert settings.url.endswith("var/landreg.sqlite")
    monkeypatch.setenv("LANDREG_DATABASE_URL", "postgresql+psycopg://u@db/landreg")
    assert DatabaseSettings().backend == "postgis"
