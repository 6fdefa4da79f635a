#!/usr/bin/env bash
# Make sure the local Redis (6379) and PostgreSQL (5432) the integration tests use are up.
# Starts them when they are installed but stopped; says so when they are missing (the tests
# that need them then fail in CI, as they must).
set -u
up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if ! up 6379; then
  if command -v redis-server >/dev/null; then
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
  else
    echo "ensure-services: redis-server is not installed" >&2
  fi
fi
if ! up 5432; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  else
    echo "ensure-services: PostgreSQL is not installed" >&2
  fi
fi
for _ in $(seq 1 50); do up 6379 && up 5432 && exit 0; sleep 0.2; done
echo "ensure-services: Redis or PostgreSQL is not reachable on 127.0.0.1" >&2
exit 0
