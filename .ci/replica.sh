#!/usr/bin/env bash
# A streaming replica of a local PostgreSQL cluster, on the same machine: a second Debian
# cluster whose data directory is a pg_basebackup of the primary, following it over the
# replication protocol (peer authentication over the Unix socket, as Debian's pg_hba allows).
# Idempotent: an existing replica cluster is reused (started if it is down) while it can still
# stream; one left behind (the WAL it needs already removed on the primary, after it was down
# while the primary wrote) is dropped and made again.
# Usage: .ci/replica.sh VERSION PRIMARY_PORT REPLICA_NAME REPLICA_PORT
set -euo pipefail
version=$1 primary_port=$2 name=$3 port=$4
data=/var/lib/postgresql/$version/$name

exists() { pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$version $name"; }

make_replica() {
    pg_createcluster "$version" "$name" -p "$port" >/dev/null
    rm -rf "$data"
    su postgres -c "pg_basebackup -p $primary_port -D $data -R -X stream -c fast"
}

start_replica() {
    if ! pg_lsclusters -h | grep -q "^$version $name .* online"; then
        pg_ctlcluster "$version" "$name" start
    fi
    for _ in $(seq 1 30); do
        pg_isready -q -h 127.0.0.1 -p "$port" && break
        sleep 1
    done
}

streaming() {
    for _ in $(seq 1 15); do
        status=$(su postgres -c "psql -p $port -tAc 'SELECT status FROM pg_stat_wal_receiver'" || true)
        [ "$status" = streaming ] && return 0
        sleep 1
    done
    return 1
}

exists || make_replica
start_replica
if ! streaming; then
    echo "replica $name does not stream from the primary: making it again" >&2
    pg_dropcluster --stop "$version" "$name"
    make_replica
    start_replica
    streaming
fi
su postgres -c "psql -p $port -tAc 'SELECT pg_is_in_recovery()'" | grep -qx t
