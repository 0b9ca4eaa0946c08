#!/usr/bin/env bash
# Make sure SpatiaLite (the embedded default database) can be loaded; install it when missing
# and we are root on Debian/Ubuntu, otherwise say exactly what to install.
set -euo pipefail
PY=${1:-.venv/bin/python}

can_load() {
  "$PY" - <<'PY' >/dev/null 2>&1
from landreg.store.engine import check_connection, create_register_engine
check_connection(create_register_engine("sqlite://"))
PY
}

can_load && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "SpatiaLite missing: installing libsqlite3-mod-spatialite"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libsqlite3-mod-spatialite >/dev/null
  can_load && exit 0
fi
cat >&2 <<'MSG'
SpatiaLite cannot be loaded. Install it, then run the command again:
  Debian/Ubuntu:  sudo apt-get install libsqlite3-mod-spatialite
  Fedora:         sudo dnf install libspatialite
  macOS:          brew install libspatialite
Or use PostGIS instead: export LANDREG_DATABASE_URL=postgresql+psycopg://user@host/db
MSG
exit 1
