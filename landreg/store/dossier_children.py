"""A dossier's children rows: the documents it came with and its event history, written with
the dossiers a source delivers (one by one, or in bulk with ``COPY`` on PostGIS)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import delete, insert, text
from sqlalchemy.orm import Session

from landreg.store.bulk import insert_frame
from landreg.store.tables import Base, DossierDocumentRow, DossierEventRow

CHILDREN = ("documents", "events")


def without_children(record: dict[str, Any]) -> dict[str, Any]:
    """A dossier record's own columns, without its documents and events."""
    return {k: v for k, v in record.items() if k not in CHILDREN}


def insert_children(session: Session, dossiers: list[tuple[int, dict[str, Any]]]) -> None:
    """The submitted documents and the event history of each (dossier id, record)."""
    documents, events = [], []
    for dossier_id, record in dossiers:
        documents += [
            {
                "dossier_id": dossier_id,
                "document_code": code,
                "received_at": record.get("received_at"),
            }
            for code in record.get("documents") or []
        ]
        previous = None
        for event in record.get("events") or []:
            at = datetime.fromisoformat(event["at"]) if event.get("at") else None
            events.append(
                {
                    "dossier_id": dossier_id,
                    "at": at or record["received_at"],
                    "from_status": previous,
                    "to_status": event["status"],
                    "step": event.get("step"),
                    "note": event.get("note"),
                    "actor": event.get("actor"),
                }
            )
            previous = event["status"]
    if documents:
        session.execute(insert(DossierDocumentRow), documents)
    if events:
        session.execute(insert(DossierEventRow), events)


def bulk_dossiers(session: Session, records: pd.DataFrame) -> None:
    """New dossiers with their documents and events, in bulk (``COPY`` on PostgreSQL): ids
    are taken from the table's sequence first, so the children can name their dossier
    without a round trip per dossier."""
    if records.empty:
        return
    ids = session.scalars(
        text("SELECT nextval(pg_get_serial_sequence('dossier', 'id')) FROM generate_series(1, :n)"),
        {"n": len(records)},
    ).all()
    dossiers = records.assign(id=ids)
    tables = Base.metadata.tables
    insert_frame(session, tables["dossier"], dossiers.drop(columns=[*CHILDREN], errors="ignore"))
    insert_frame(session, tables["dossier_document"], _documents(dossiers))
    insert_frame(session, tables["dossier_event"], _events(dossiers))


def _documents(dossiers: pd.DataFrame) -> pd.DataFrame:
    if "documents" not in dossiers:
        return pd.DataFrame()
    documents = dossiers[["id", "documents", "received_at"]].explode("documents")
    documents = documents.dropna(subset=["documents"])
    return documents.rename(columns={"id": "dossier_id", "documents": "document_code"})


def _events(dossiers: pd.DataFrame) -> pd.DataFrame:
    if "events" not in dossiers:
        return pd.DataFrame()
    listed = dossiers[["id", "events", "received_at"]].explode("events")
    listed = listed[listed["events"].map(lambda e: isinstance(e, dict))]
    if listed.empty:
        return pd.DataFrame()
    events = pd.DataFrame(listed["events"].tolist(), index=listed.index)
    written = events["at"] if "at" in events else pd.Series(None, index=events.index)
    at = pd.to_datetime(written, format="ISO8601", errors="coerce")
    frame = pd.DataFrame(
        {
            "dossier_id": listed["id"].to_numpy(),
            "at": at.fillna(pd.Series(listed["received_at"].to_numpy(), index=at.index)).to_numpy(),
            "to_status": events["status"].to_numpy(),
            "step": events.get("step"),
            "note": events.get("note"),
            "actor": events.get("actor"),
        }
    )
    frame["from_status"] = frame.groupby("dossier_id")["to_status"].shift(1)
    return frame


def delete_children(session: Session, dossier_id: int) -> None:
    """The dossier's documents and history, to be written again from a new delivery."""
    for child in (DossierDocumentRow, DossierEventRow):
        session.execute(delete(child).where(child.dossier_id == dossier_id))
