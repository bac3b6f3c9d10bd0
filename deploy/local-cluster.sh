#!/bin/sh
# A smartcall cluster on this machine: PostgreSQL, Redis, the virtual phone network as the trunk,
# 2 API nodes, 2 media nodes, 1 receipt node and 1 scheduler, all on 127.0.0.1 (see deploy/README.md).
#   deploy/local-cluster.sh up       start it; prints the endpoints and the access key
#   deploy/local-cluster.sh status   what runs (exit 1 if something is down)
#   deploy/local-cluster.sh down     stop everything and remove the directory
# Add --json for machine-readable output. Directory: $SMARTCALL_CLUSTER_DIR (default $TMPDIR/smartcall-cluster).
set -e
here=$(cd "$(dirname "$0")/.." && pwd)
exec node "$here/scripts/localCluster.mjs" "$@"
