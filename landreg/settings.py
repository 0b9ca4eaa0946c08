"""Settings, one class per concern, read from environment variables prefixed ``LANDREG_``.

Settings are built by the caller (the command line, ``create_app``), never at import time.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from landreg.errors import ConfigurationError

DEFAULT_DATABASE_FILE = Path("var/landreg.sqlite")
DEVELOPMENT_SECRET = "development-only-secret-change-me"


class DatabaseSettings(BaseSettings):
    """Where the register is stored.

    ``LANDREG_DATABASE_URL`` selects PostGIS (``postgresql+psycopg://…``); unset, landreg uses
    the embedded SpatiaLite file ``var/landreg.sqlite``.
    """

    model_config = SettingsConfigDict(env_prefix="LANDREG_", extra="ignore")

    database_url: str = Field(default="", description="SQLAlchemy URL of the register database")
    echo_sql: bool = False
    pool_size: int = Field(
        default=20, gt=0, le=200, description="connections each process keeps to PostgreSQL"
    )
    pool_timeout: float = Field(
        default=5.0,
        gt=0,
        le=120,
        description="seconds a look-up waits for a free connection before answering 503",
    )

    @property
    def url(self) -> str:
        """The URL to connect to, the embedded SpatiaLite file when none is configured."""
        return self.database_url or f"sqlite:///{DEFAULT_DATABASE_FILE}"

    @property
    def backend(self) -> Literal["postgis", "spatialite"]:
        """``postgis`` or ``spatialite``, from the URL."""
        return "spatialite" if self.url.startswith("sqlite") else "postgis"


class RegisterSettings(BaseSettings):
    """How the register treats geometry and areas.

    ``LANDREG_CADASTRAL_SRID`` is the CRS all parcel geometries are stored in (VN-2000 /
    TM-3 105-30 by default); it is fixed when the database is created.
    """

    model_config = SettingsConfigDict(env_prefix="LANDREG_", extra="ignore")

    cadastral_srid: int = 9209
    province_code: str = "80"
    area_tolerance_percent: float = Field(default=1.0, gt=0, description="legal vs measured area")
    sliver_area_m2: float = Field(default=1.0, gt=0, description="overlaps below are slivers")
    planning_dir: Path | None = Field(
        default=None, description="folder of land-use planning rasters (GeoTIFF + class table)"
    )
    workers: int = Field(
        default_factory=lambda: os.cpu_count() or 1,
        gt=0,
        description="processes that share the communes when checking geometry",
    )
    actor: str = Field(
        default="landreg", description="who the command line acts as in the audit log"
    )


class ApiSettings(BaseSettings):
    """The web service: address, environment and secrets."""

    model_config = SettingsConfigDict(env_prefix="LANDREG_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key: SecretStr = SecretStr(DEVELOPMENT_SECRET)
    token_minutes: int = Field(default=480, gt=0, description="how long a sign-in lasts")
    ingest_dir: Path = Field(default=Path("var/ingest"), description="where uploads are kept")
    max_upload_mb: int = Field(default=512, gt=0)
    public_lookups_per_minute: int = Field(
        default=10,
        ge=0,
        description="citizens' dossier look-ups per client and minute (0: no limit)",
    )
    public_map: bool = Field(
        default=True,
        description="anyone may read the cadastral map (keys, boundaries, areas, land use; "
        "never holders); false: officers and staff only",
    )

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> ApiSettings:
        if self.environment == "production" and (
            self.secret_key.get_secret_value() == DEVELOPMENT_SECRET
            or len(self.secret_key.get_secret_value()) < 32
        ):
            raise ConfigurationError(
                "LANDREG_SECRET_KEY must be set to a random value of 32 characters or more "
                "outside development",
                field="secret_key",
            )
        return self


class Settings(BaseSettings):
    """All of landreg's settings together."""

    model_config = SettingsConfigDict(env_prefix="LANDREG_", extra="ignore")

    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    cadastre: RegisterSettings = Field(default_factory=RegisterSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
