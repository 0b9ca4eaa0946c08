#!/usr/bin/env bash
# Make sure a PostgreSQL server with the PostGIS extension answers at LANDREG_TEST_ADMIN_URL
# (default: postgres on 127.0.0.1:5432, no password). When it does not and we are root on
# Debian/Ubuntu, install and start it; otherwise say exactly what to install.
set -euo pipefail
PY=${1:-.venv/bin/python}
export LANDREG_TEST_ADMIN_URL=${LANDREG_TEST_ADMIN_URL:-postgresql://postgres@127.0.0.1:5432/postgres}

# Prints "ok", "no-postgis" or "no-server".
probe() {
  "$PY" - <<'PY' 2>/dev/null || echo no-server
import os, psycopg
with psycopg.connect(os.environ["LANDREG_TEST_ADMIN_URL"], connect_timeout=3) as c:
    n = c.execute("SELECT count(*) FROM pg_available_extensions WHERE name='postgis'").fetchone()[0]
print("ok" if n else "no-postgis")
PY
}

state=$(probe)
[ "$state" = ok ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  cat >&2 <<MSG
The tests need PostgreSQL with PostGIS at $LANDREG_TEST_ADMIN_URL ($state).
  Debian/Ubuntu:  sudo apt-get install postgresql postgresql-<major>-postgis-3
  Fedora:         sudo dnf install postgresql-server postgis
  macOS:          brew install postgresql postgis
then start the server, or point LANDREG_TEST_ADMIN_URL at one (a user allowed to create databases).
MSG
  exit 1
fi

echo "PostgreSQL/PostGIS: $state; installing with apt-get"
apt-get update -qq
installed_server=no
if ! command -v pg_lsclusters >/dev/null || [ -z "$(pg_lsclusters -h 2>/dev/null)" ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  installed_server=yes
fi
major=$(pg_lsclusters -h | awk 'NR==1 {print $1}')
cluster=$(pg_lsclusters -h | awk 'NR==1 {print $2}')
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "postgresql-${major}-postgis-3" >/dev/null
pg_ctlcluster --skip-systemctl-redirect "$major" "$cluster" start 2>/dev/null || true
if [ "$installed_server" = yes ]; then
  # A server installed just now for the tests: let local TCP connections in without a password.
  hba=/etc/postgresql/$major/$cluster/pg_hba.conf
  sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  pg_ctlcluster --skip-systemctl-redirect "$major" "$cluster" reload
fi
for _ in $(seq 1 30); do
  [ "$(probe)" = ok ] && { echo "PostgreSQL $major with PostGIS is ready"; exit 0; }
  sleep 1
done
echo "PostgreSQL with PostGIS still does not answer at $LANDREG_TEST_ADMIN_URL" >&2
exit 1
