"""Authentication (OAuth2 bearer tokens for people, API keys for systems) and role checks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated

import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer

from landreg.domain.access import Principal, Role
from landreg.services import RegisterDatabase, UnitOfWork, accounts

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False)
ALGORITHM = "HS256"
# A token lacking any of these is refused: one without "exp" would never expire.
REQUIRED_CLAIMS = ["exp", "iat", "sub"]


def issue_token(request: Request, principal: Principal) -> tuple[str, int]:
    """A signed bearer token for a signed-in person, and its lifetime in seconds."""
    settings = request.app.state.settings.api
    lifetime = timedelta(minutes=settings.token_minutes)
    now = datetime.now(UTC)
    claims = {"sub": principal.name, "role": str(principal.role), "iat": now, "exp": now + lifetime}
    token = jwt.encode(claims, request.app.state.signing_secret, algorithm=ALGORITHM)
    return token, int(lifetime.total_seconds())


Token = Annotated[str | None, Depends(oauth2_scheme)]
ApiKey = Annotated[str | None, Depends(api_key_scheme)]


async def current_principal(request: Request, token: Token, key: ApiKey) -> Principal | None:
    """Who is calling: a valid bearer token or API key; None for an anonymous call."""
    return await identify(request, token, key)


_UNSET = object()


async def identify(request: Request, token: str | None, key: str | None) -> Principal | None:
    """The caller of ``request`` from its bearer token or API key (None when anonymous),
    found once per request.

    An anonymous call costs nothing; a key or token is looked up in a worker thread with its
    own short unit of work, so that no transaction stays open for the rest of the request.
    The role checks below take the two credentials straight from FastAPI's security schemes
    (which also document them in OpenAPI) rather than through another dependency: each level
    of dependencies costs every request, and the map look-ups are the busiest there are.
    """
    known = getattr(request.state, "principal", _UNSET)
    if known is not _UNSET:
        return known  # type: ignore[return-value]
    principal = await _identified(request, token, key)
    request.state.principal = principal
    return principal


async def _identified(request: Request, token: str | None, key: str | None) -> Principal | None:
    database: RegisterDatabase = request.app.state.database
    if key:
        principal = await run_in_threadpool(_lookup, database, accounts.api_key_principal, key)
        if principal is None:
            raise _unauthorised("the API key is not valid")
        return principal
    if not token:
        return None
    try:
        claims = jwt.decode(
            token,
            request.app.state.signing_secret,
            algorithms=[ALGORITHM],
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.PyJWTError:
        raise _unauthorised("the sign-in has expired or is not valid") from None
    name = str(claims["sub"])
    principal = await run_in_threadpool(_lookup, database, accounts.user_principal, name)
    if principal is None:
        raise _unauthorised("the account is not active")
    return principal


def _lookup(
    database: RegisterDatabase,
    find: Callable[[UnitOfWork, str], Principal | None],
    value: str,
) -> Principal | None:
    with UnitOfWork(database) as uow:
        return find(uow, value)


def _unauthorised(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"}
    )


def require(*roles: Role) -> Callable[[Request, str | None, str | None], Awaitable[Principal]]:
    """A dependency admitting only principals with one of ``roles`` (and administrators)."""

    async def check(request: Request, token: Token, key: ApiKey) -> Principal:
        principal = await identify(request, token, key)
        if principal is None:
            raise _unauthorised("sign in, or call with an API key")
        if not principal.may(*roles):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, f"this needs the role {' or '.join(map(str, roles))}"
            )
        return principal

    return check


StaffDep = Annotated[Principal, Depends(require(Role.CADASTRAL_STAFF))]
# Officers and cadastral staff both read the register's internals (findings, holders).
InternalDep = Annotated[Principal, Depends(require(Role.REGISTRY_OFFICER, Role.CADASTRAL_STAFF))]
OfficerDep = Annotated[Principal, Depends(require(Role.REGISTRY_OFFICER))]
AdminDep = Annotated[Principal, Depends(require(Role.ADMINISTRATOR))]


def reads_map(request: Request, principal: Principal | None) -> bool:
    """Whether ``principal`` may read the cadastral map (parcel keys, boundaries, areas, land
    use — no holder): anyone when the province publishes it (``LANDREG_PUBLIC_MAP``), else
    officers and staff."""
    if request.app.state.settings.api.public_map:
        return True
    return principal is not None and principal.may(Role.REGISTRY_OFFICER, Role.CADASTRAL_STAFF)


# How the map's routes document the credentials they accept (see :func:`map_reader`).
MAP_SECURITY: dict[str, object] = {
    "security": [{oauth2_scheme.scheme_name: []}, {api_key_scheme.scheme_name: []}]
}


async def map_reader(request: Request) -> Principal | None:
    """The caller, if :func:`reads_map` lets them read the map; 401 or 403 otherwise.

    The public map's anonymous reads are the busiest requests of all, and every level of
    FastAPI dependencies costs each of them (about 50 µs, a seventh of a parcel look-up):
    so the two security schemes are called here directly instead of as sub-dependencies,
    and the routes document them with ``openapi_extra=MAP_SECURITY``.
    """
    token, key = await oauth2_scheme(request), await api_key_scheme(request)
    principal = await identify(request, token, key)
    if reads_map(request, principal):
        return principal
    if principal is None:
        raise _unauthorised("sign in, or call with an API key")
    raise HTTPException(status.HTTP_403_FORBIDDEN, "the map is open to officers and staff")


MapReaderDep = Annotated[Principal | None, Depends(map_reader)]
