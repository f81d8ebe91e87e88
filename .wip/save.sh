#!/usr/bin/env bash
# Save .wip/ as a commit on the branch "wip" without touching main's index or tree.
set -e
cd "$(dirname "$0")/.."
export GIT_INDEX_FILE=$(mktemp)
git read-tree HEAD
git add -f .wip
tree=$(git write-tree)
parent=$(git rev-parse -q --verify refs/heads/wip || true)
commit=$(git commit-tree $tree ${parent:+-p $parent} -p HEAD -m "wip pages $(date -u +%FT%TZ)")
git update-ref refs/heads/wip $commit
rm -f "$GIT_INDEX_FILE"
echo "saved .wip → wip $commit"
