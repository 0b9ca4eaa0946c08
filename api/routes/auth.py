"""Signing in: a username and password for a bearer token (OAuth2 password flow)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from api.deps import UowDep
from api.security import current_principal, issue_token
from landreg.domain.access import Principal
from landreg.services import accounts

router = APIRouter(prefix="/auth", tags=["auth"])


class Token(BaseModel):
    """A bearer token to send as ``Authorization: Bearer <token>``."""

    access_token: str
    token_type: str = "bearer"
    expires_in: int
    role: str


class Me(BaseModel):
    """Who the caller is."""

    name: str
    role: str


@router.post("/token", response_model=Token, summary="Sign in")
def sign_in(
    request: Request, uow: UowDep, form: Annotated[OAuth2PasswordRequestForm, Depends()]
) -> Token:
    """Exchange a username and password for a bearer token."""
    principal = accounts.authenticate(uow, form.username, form.password)
    if principal is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "wrong username or password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    token, lifetime = issue_token(request, principal)
    return Token(access_token=token, expires_in=lifetime, role=str(principal.role))


@router.get("/me", response_model=Me, summary="Who am I")
def me(principal: Annotated[Principal | None, Depends(current_principal)]) -> Me:
    """The signed-in person or calling system."""
    if principal is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "not signed in", headers={"WWW-Authenticate": "Bearer"}
        )
    return Me(name=principal.name, role=str(principal.role))
