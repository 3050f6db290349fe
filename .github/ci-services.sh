#!/usr/bin/env bash
# CI (.github/workflows/ci.yml) runs `make test` in a Debian 12 container, the kind of machine the
# project is developed on. This prepares that container as such a machine is: the build basics, and
# the services the tests use on 127.0.0.1 — PostgreSQL (user postgres, trust), MariaDB (root without
# a password) and Redis — started here. Everything else `make test` installs itself.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  ca-certificates curl git build-essential pkg-config python3 python3-venv python3-pip make zip unzip \
  xz-utils sudo postgresql mariadb-server mariadb-client redis-server >/dev/null

# PostgreSQL: trust for local and loopback connections, as on the development machines.
hba=$(ls /etc/postgresql/*/main/pg_hba.conf)
printf 'local all all trust\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n' >"$hba"
service postgresql start

# MariaDB: root over TCP from 127.0.0.1 without a password.
service mariadb start
for _ in $(seq 30); do mysqladmin ping --silent && break; sleep 1; done
mysql -uroot <<'SQL'
CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '';
GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
FLUSH PRIVILEGES;
SQL

# Redis on 6379 (the fleet tests also start redis-server processes of their own).
redis-server --daemonize yes --bind 127.0.0.1 --port 6379

pg_isready -h 127.0.0.1 -U postgres
mysql -uroot -h127.0.0.1 -e 'SELECT 1' >/dev/null
redis-cli -h 127.0.0.1 ping
