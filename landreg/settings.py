"""Settings, one class per concern, read from environment variables prefixed ``LANDREG_``.

Settings are built by the caller (the command line, ``create_app``), never at import time.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from landreg.errors import ConfigurationError
from landreg.secret import SHORTEST_SECRET, stored_secret

DEFAULT_DATABASE_FILE = Path("var/landreg.sqlite")


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


class CadastreSettings(BaseSettings):
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
    max_edit_vertices: int = Field(
        default=20_000,
        ge=4,
        le=1_000_000,
        description="the most vertices a boundary drawn by hand may have (a parcel has tens "
        "to hundreds); the edit request's body is limited to match",
    )
    register_authority: str = Field(
        default="",
        description="register sources by authority, most authoritative first, comma-separated "
        "(e.g. 'register:register/so_dia_chinh_tay_ninh_cu'); where two registers give a "
        "parcel's field, the first listed wins, then the newest delivery; unlisted sources "
        "come after the listed ones, the newest delivery first",
    )

    @property
    def register_authorities(self) -> tuple[str, ...]:
        """The register sources in order of authority (``LANDREG_REGISTER_AUTHORITY``)."""
        return tuple(part.strip() for part in self.register_authority.split(",") if part.strip())


class ApiSettings(BaseSettings):
    """The web service: address, environment and secrets.

    No secret is known in advance: unset, ``LANDREG_SECRET_KEY`` is drawn at random on the
    first start and kept in ``LANDREG_DATA_DIR`` (:mod:`landreg.secret`), read when the app
    or the command is built (:meth:`signing_secret`), never at import.
    """

    model_config = SettingsConfigDict(env_prefix="LANDREG_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key: SecretStr | None = Field(
        default=None, description="signs bearer tokens; unset: drawn once, kept in data_dir"
    )
    data_dir: Path = Field(
        default=Path("var"),
        description="landreg's own files: the signing secret it draws, and the installation's "
        "own administrative units (admin_units.csv, written by `landreg units load`)",
    )
    trusted_proxies: str = Field(
        default="",
        description="comma-separated addresses or networks of reverse proxies whose "
        "X-Forwarded-For is believed; empty: every client is its peer address",
    )
    token_minutes: int = Field(default=480, gt=0, description="how long a sign-in lasts")
    ingest_dir: Path = Field(default=Path("var/ingest"), description="where uploads are kept")
    max_upload_mb: int = Field(default=512, gt=0)
    max_unpacked_mb: int = Field(
        default=4096, gt=0, description="the most an uploaded zip may unpack to, all together"
    )
    max_zip_members: int = Field(
        default=5000, gt=0, description="entries (files and folders) an uploaded zip may hold"
    )
    max_zip_ratio: float = Field(
        default=500,
        gt=1,
        description="unpacked / packed size a zip member of over 1 MB may reach (text packs "
        "a few hundred times at most; a zip bomb a thousand and more)",
    )
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

    @field_validator("secret_key", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """``LANDREG_SECRET_KEY=`` (set but empty, as compose files leave it) means unset."""
        return None if value == "" else value

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses_only(cls, text: str) -> str:
        """Each entry an address or network: a wildcard would let any client choose the
        address the citizens' limit counts."""
        for entry in filter(None, (part.strip() for part in text.split(","))):
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ConfigurationError(
                    "LANDREG_TRUSTED_PROXIES lists the proxies' IP addresses or networks, "
                    "separated by commas",
                    field="trusted_proxies",
                    value=entry,
                    detail_vi="LANDREG_TRUSTED_PROXIES phải liệt kê địa chỉ IP hoặc dải mạng của "
                    f"các máy chủ trung gian, cách nhau bằng dấu phẩy; {entry!r} không phải",
                ) from None
        return text

    @model_validator(mode="after")
    def _refuse_weak_secret(self) -> ApiSettings:
        if (
            self.environment == "production"
            and self.secret_key is not None
            and len(self.secret_key.get_secret_value()) < SHORTEST_SECRET
        ):
            raise ConfigurationError(
                f"LANDREG_SECRET_KEY must be a random value of {SHORTEST_SECRET} characters or "
                "more in production (or unset, to have one drawn and kept in LANDREG_DATA_DIR)",
                field="secret_key",
                detail_vi=f"khi vận hành chính thức, LANDREG_SECRET_KEY phải là chuỗi ngẫu nhiên "
                f"từ {SHORTEST_SECRET} ký tự trở lên (hoặc bỏ trống để hệ thống tự tạo và lưu "
                "trong LANDREG_DATA_DIR)",
            )
        return self

    @property
    def proxies(self) -> list[str]:
        """The trusted proxies' addresses and networks, as uvicorn takes them."""
        return [part.strip() for part in self.trusted_proxies.split(",") if part.strip()]

    def signing_secret(self) -> str:
        """The secret tokens are signed with: ``LANDREG_SECRET_KEY``, else the one kept in
        the data folder (drawn on first use)."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        return stored_secret(self.data_dir)


class Settings(BaseSettings):
    """All of landreg's settings together."""

    model_config = SettingsConfigDict(env_prefix="LANDREG_", extra="ignore")

    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    cadastre: CadastreSettings = Field(default_factory=CadastreSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
