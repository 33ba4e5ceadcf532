# Shared by scripts/run and scripts/test. Source it; do not run it.
# Installs what is missing on Debian, finds the Swift toolchain, and runs private PostgreSQL
# clusters (never a system cluster) as the invoking user, or as `postgres` when run as root
# (PostgreSQL refuses to run as root).

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# ensure_packages PKG...: apt-get install whatever is not installed yet.
ensure_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  command -v apt-get >/dev/null || die "apt-get not found: install ${missing[*]} by hand"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_build_dependencies() {
  ensure_packages libpq-dev libssl-dev zlib1g-dev postgresql curl ca-certificates
  if ! command -v swift >/dev/null; then
    [ -x /opt/swift/usr/bin/swift ] || die "the Swift 6 toolchain is missing (expected at /opt/swift)"
    export PATH="$PATH:/opt/swift/usr/bin"
  fi
}

pg_bindir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$dir" ] || die "PostgreSQL server binaries not found under /usr/lib/postgresql"
  echo "$dir"
}

# Runs a PostgreSQL server tool as the cluster's owner.
pg_as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# cluster_start DIR PORT: initialise DIR if needed and start a server on 127.0.0.1:PORT with
# superuser `hourglass` and trust authentication (loopback only, no unix socket).
cluster_start() {
  local dir=$1 port=$2 bin
  bin=$(pg_bindir)
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then
    chown postgres: "$dir"
    runuser -u postgres -- test -x "$dir" || die "the postgres user cannot reach $dir; clone the repository somewhere world-traversable"
  fi
  if [ ! -f "$dir/PG_VERSION" ]; then
    log "creating a PostgreSQL cluster in $dir"
    pg_as_owner "$bin/initdb" -D "$dir" -U hourglass --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if pg_as_owner "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
    log "PostgreSQL already running in $dir"
  else
    log "starting PostgreSQL on 127.0.0.1:$port"
    pg_as_owner "$bin/pg_ctl" -D "$dir" -w -t 60 -l "$dir/server.log" \
      -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='' -c max_connections=200 -c fsync=off -c synchronous_commit=off" \
      start >/dev/null || { cat "$dir/server.log" >&2; die "PostgreSQL did not start"; }
  fi
}

# cluster_stop DIR
cluster_stop() {
  local dir=$1
  [ -f "$dir/postmaster.pid" ] || return 0
  pg_as_owner "$(pg_bindir)/pg_ctl" -D "$dir" -m fast -w stop >/dev/null 2>&1 || true
}

# ensure_database PORT NAME
ensure_database() {
  local port=$1 name=$2
  psql -h 127.0.0.1 -p "$port" -U hourglass -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1 \
    || psql -h 127.0.0.1 -p "$port" -U hourglass -d postgres -qc "CREATE DATABASE \"$name\"" >/dev/null
}

# ensure_runtime_role PORT: the role the server runs as (hourglass_app): it can log in and
# nothing else; `hourglass migrate` (as the owner, hourglass) grants it row access only.
ensure_runtime_role() {
  local port=$1
  psql -h 127.0.0.1 -p "$port" -U hourglass -d postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname = 'hourglass_app'" | grep -q 1 \
    || psql -h 127.0.0.1 -p "$port" -U hourglass -d postgres -qc "CREATE ROLE hourglass_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE" >/dev/null
}
