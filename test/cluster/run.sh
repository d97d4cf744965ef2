#!/usr/bin/env bash
# npm run test:cluster: starts a one-node SLURM cluster (test/cluster/slurm.sh) in a temporary folder,
# runs the cluster suite and the extension host's cluster case against it, and stops the daemons by pid at the end, also on failure.
# With SLURM_CONF already set (a cluster that is up), it uses that one and starts nothing.
# When no cluster can be started, the suite still runs and reports each test as skipped, saying why
# (unless AEM_CLUSTER_REQUIRED is set, as in .ci/run: then that is a failure).
set -uo pipefail
cd "$(dirname "$0")/../.."
started=""
if [ -z "${SLURM_CONF:-}" ]; then
  STATE=$(mktemp -d "${TMPDIR:-/tmp}/aem-slurm-XXXXXX")
  if env_line=$(bash test/cluster/slurm.sh start "$STATE"); then
    eval "$env_line"
    export SLURM_CONF
    started=$STATE
    trap 'bash test/cluster/slurm.sh stop "$started"' EXIT
    trap 'exit 143' TERM INT
  elif [ -n "${AEM_CLUSTER_REQUIRED:-}" ]; then
    echo "test:cluster: AEM_CLUSTER_REQUIRED is set and no SLURM cluster could be started" >&2
    exit 1
  else
    export AEM_CLUSTER_UNAVAILABLE="no SLURM cluster: test/cluster/slurm.sh could not start one (see above)"
  fi
fi
node --test --test-reporter=spec --test-concurrency=1 out/test/cluster/*.cluster.js
status=$?
# The extension-host case (test/vscode/suite/cluster.test.ts): Run Experiment on Cluster from the command,
# the tree seen queued -> running -> done, in code-server against the same cluster.
if [ -z "${AEM_CLUSTER_UNAVAILABLE:-}" ] && [ -z "${AEM_CLUSTER_SKIP_VSCODE:-}" ]; then
  AEM_VSCODE_GREP='on a SLURM cluster' node out/test/vscode/harness/runExtensionTests.js || status=1
fi
exit $status
