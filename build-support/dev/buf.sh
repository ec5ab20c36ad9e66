#!/usr/bin/env bash
# Lint the protos, or check them for breaking changes against a git base.
#
#   build-support/dev/buf.sh lint [buf lint flags]
#   build-support/dev/buf.sh breaking [buf breaking flags]
#
# Breaking-change base, first that applies:
#   1. $BUF_AGAINST (any git revision: a branch, tag or commit; an error if it does not resolve);
#   2. on a branch other than main, when main (or origin/main) exists: the merge base with main,
#      so commits that landed on main since the branch forked are not reported as our changes;
#   3. HEAD~1.
# The working tree (including uncommitted changes) is compared with that commit. When the base is
# not available (first commit, shallow clone that cannot be deepened) or predates buf.yaml, the
# check prints "skipped: <reason>" and succeeds: there is nothing to be compatible with.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=build-support/dev/tools.sh
source "$repo_root/build-support/dev/tools.sh"
cd "$repo_root"

usage() {
  echo "usage: $0 lint|breaking [buf flags]" >&2
  exit 2
}

# Prints the full commit id of a revision, or nothing (status 1) when it is not in the repo.
commit_of() { git rev-parse -q --verify "$1^{commit}" 2>/dev/null; }

skip() {
  echo "buf breaking: skipped: $*"
  exit 0
}

# Picks the base revision; sets base_rev and base_why.
choose_base() {
  if [[ -n "${BUF_AGAINST:-}" ]]; then
    base_rev="$BUF_AGAINST"
    base_why="BUF_AGAINST"
    return
  fi
  local branch main_ref="" head mb
  branch="$(git symbolic-ref --short -q HEAD || true)"
  if [[ "$branch" != main ]]; then
    if commit_of main >/dev/null; then
      main_ref=main
    elif commit_of origin/main >/dev/null; then
      main_ref=origin/main
    fi
  fi
  if [[ -n "$main_ref" ]]; then
    head="$(git rev-parse HEAD)"
    # merge-base fails when a shallow clone does not reach the fork point: use main's tip then.
    if mb="$(git merge-base HEAD "$main_ref" 2>/dev/null)"; then
      if [[ "$mb" != "$head" ]]; then
        base_rev="$mb"
        base_why="merge base with $main_ref"
        return
      fi
      # HEAD is main's tip (e.g. CI on a detached main checkout): fall through to HEAD~1.
    else
      base_rev="$main_ref"
      base_why="$main_ref (no merge base in this clone)"
      return
    fi
  fi
  base_rev="HEAD~1"
  base_why="previous commit"
}

run_breaking() {
  git rev-parse --git-dir >/dev/null 2>&1 || skip "not a git repository"
  commit_of HEAD >/dev/null || skip "no commits yet"

  local base_rev base_why base
  choose_base

  if ! base="$(commit_of "$base_rev")"; then
    # CI often clones with --depth 1, so HEAD~1 is missing: fetch one more commit when we can.
    if [[ "$(git rev-parse --is-shallow-repository)" == true ]] && [[ -n "$(git remote)" ]]; then
      echo "buf breaking: $base_rev is not in this shallow clone; running git fetch --deepen=1" >&2
      git fetch --quiet --deepen=1 >&2 || echo "buf breaking: git fetch --deepen=1 failed" >&2
      base="$(commit_of "$base_rev")" || true
    fi
  fi
  if [[ -z "${base:-}" ]]; then
    # An explicit base that does not resolve is a mistake (typo, ref not fetched), not a skip.
    if [[ "$base_why" == BUF_AGAINST ]]; then
      echo "buf breaking: BUF_AGAINST=$base_rev is not a commit in this clone" >&2
      exit 1
    fi
    if [[ "$base_rev" == "HEAD~1" ]] && [[ "$(git rev-parse --is-shallow-repository)" != true ]]; then
      skip "HEAD is the first commit, there is no previous commit to compare with"
    fi
    skip "base $base_rev ($base_why) is not available in this clone"
  fi
  git cat-file -e "$base:buf.yaml" 2>/dev/null ||
    skip "base $base_rev (${base:0:12}) has no buf.yaml"

  if [[ "$base_rev" == "$base" ]]; then
    echo "buf breaking: against ${base:0:12} ($base_why)" >&2
  else
    echo "buf breaking: against $base_rev (${base:0:12}, $base_why)" >&2
  fi
  # The against input is the whole commit, so buf reads the buf.yaml at its root exactly like the
  # working tree's (a v2 workspace: the module is proto/, vendored google/ ignored).
  "$ESTOSPACES_BUF" breaking --against ".git#ref=$base" "$@"
}

(($# >= 1)) || usage
command="$1"
shift
estospaces_ensure_buf
case "$command" in
  lint) "$ESTOSPACES_BUF" lint "$@" ;;
  breaking) run_breaking "$@" ;;
  *) usage ;;
esac
