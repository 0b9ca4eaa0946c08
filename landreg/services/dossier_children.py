"""A dossier's children rows: the documents it came with and its event history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert

from landreg.store.tables import DossierDocumentRow, DossierEventRow
from landreg.store.unit_of_work import UnitOfWork

CHILDREN = ("documents", "events")


def without_children(record: dict[str, Any]) -> dict[str, Any]:
    """A dossier record's own columns, without its documents and events."""
    return {k: v for k, v in record.items() if k not in CHILDREN}


def insert_children(uow: UnitOfWork, dossiers: list[tuple[int, dict[str, Any]]]) -> None:
    """A dossier's submitted documents and its event history."""
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
        uow.session.execute(insert(DossierDocumentRow), documents)
    if events:
        uow.session.execute(insert(DossierEventRow), events)


def delete_children(uow: UnitOfWork, dossier_id: int) -> None:
    for child in (DossierDocumentRow, DossierEventRow):
        uow.session.execute(delete(child).where(child.dossier_id == dossier_id))
