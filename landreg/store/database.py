"""The register database: engine, session factory and the facts fixed at creation."""

from __future__ import annotations

from functools import cached_property

from sqlalchemy import Connection, Engine, func, select, text
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

from landreg.errors import ConfigurationError, DatabaseUnavailableError
from landreg.settings import DatabaseSettings
from landreg.store import migrate
from landreg.store.engine import WRITES, check_connection, create_register_engine
from landreg.store.tables import Base, RegisterMeta


class RegisterDatabase:
    """One database holding the register, on PostGIS or SpatiaLite."""

    def __init__(self, engine: Engine, bind: Connection | None = None) -> None:
        self.engine = engine
        self.bound = bind is not None
        # Bound to an open connection (tests), sessions join its transaction with savepoints.
        self.sessions = sessionmaker(
            bind=bind or engine,
            expire_on_commit=False,
            join_transaction_mode="create_savepoint"
            if bind is not None
            else "conditional_savepoint",
        )
        # Sessions of units of work that write: on SpatiaLite their transactions begin
        # IMMEDIATE (see landreg.store.unit_of_work); they connect on first use, like the rest.
        self.writer_sessions = (
            self.sessions
            if bind is not None or engine.dialect.name != "sqlite"
            else sessionmaker(
                bind=engine.execution_options(**{WRITES: True}),
                expire_on_commit=False,
                join_transaction_mode="conditional_savepoint",
            )
        )

    @classmethod
    def from_settings(cls, settings: DatabaseSettings) -> RegisterDatabase:
        """Build (without connecting) from database settings."""
        return cls(
            create_register_engine(
                settings.url, echo=settings.echo_sql, pool_size=settings.pool_size
            )
        )

    @property
    def backend(self) -> str:
        """``postgis`` or ``spatialite``."""
        return "spatialite" if self.engine.dialect.name == "sqlite" else "postgis"

    @cached_property
    def cadastral_srid(self) -> int:
        """The SRID parcel geometries are stored in, as fixed when the database was created."""
        try:
            connection = self.engine.connect()
        except OperationalError as error:
            raise DatabaseUnavailableError(
                f"cannot connect to the register database: {error.orig}",
                detail_vi=f"không kết nối được cơ sở dữ liệu sổ địa chính: {error.orig}",
            ) from None
        with connection:
            try:
                value = connection.execute(
                    select(RegisterMeta.value).where(RegisterMeta.key == "cadastral_srid")
                ).scalar()
            except (OperationalError, ProgrammingError):  # no register_meta table yet
                value = None
        if value is None:
            raise DatabaseUnavailableError(
                "the register database has no schema yet: run `landreg db upgrade`",
                detail_vi="cơ sở dữ liệu sổ địa chính chưa được khởi tạo: hãy chạy "
                "`landreg db upgrade`",
            )
        return int(value)

    def upgrade(self, cadastral_srid: int) -> str | None:
        """Apply pending migrations; refuse to change the cadastral SRID of an existing register."""
        # Migrations write after reading the schema's revision: on SpatiaLite they begin
        # IMMEDIATE, as every writing unit of work does (see landreg.store.unit_of_work).
        writer = self.engine.execution_options(**{WRITES: True})
        try:
            revision = migrate.upgrade(writer, cadastral_srid=cadastral_srid)
        except OperationalError as error:
            raise DatabaseUnavailableError(
                f"cannot connect to the register database: {error.orig}",
                detail_vi=f"không kết nối được cơ sở dữ liệu sổ địa chính: {error.orig}",
            ) from None
        self.__dict__.pop("cadastral_srid", None)
        if self.cadastral_srid != cadastral_srid:
            raise ConfigurationError(
                f"this register stores geometry in EPSG:{self.cadastral_srid}, but "
                f"LANDREG_CADASTRAL_SRID is {cadastral_srid}; the SRID is fixed at creation",
                field="cadastral_srid",
                value=cadastral_srid,
                detail_vi=f"sổ địa chính này lưu hình học theo EPSG:{self.cadastral_srid}, nhưng "
                f"LANDREG_CADASTRAL_SRID là {cadastral_srid}; hệ tọa độ đã cố định từ khi tạo "
                "cơ sở dữ liệu",
            )
        return revision

    def info(self) -> dict[str, object]:
        """Backend, versions, schema revision and row counts of the main tables."""
        facts: dict[str, object] = {
            "backend": self.backend,
            "url": self.engine.url.render_as_string(hide_password=True),
            "spatial_version": check_connection(self.engine),
            "schema_revision": migrate.current_revision(self.engine),
            "schema_head": migrate.head_revision(),
        }
        if facts["schema_revision"] is None:
            return facts
        facts["cadastral_srid"] = self.cadastral_srid
        counts = {}
        with Session(self.engine) as session:
            for name in (
                "admin_unit",
                "parcel",
                "map_strip",
                "register_entry",
                "party",
                "land_right",
                "certificate",
                "restriction",
                "dossier",
                "finding",
                "source_batch",
                "quarantine",
            ):
                table = Base.metadata.tables[name]
                counts[name] = session.execute(select(func.count()).select_from(table)).scalar_one()
        facts["counts"] = counts
        return facts

    def ping(self) -> bool:
        """True when the database answers."""
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception:
            return False
        return True
