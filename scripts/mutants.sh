#!/usr/bin/env bash
# Mutation testing of the security core with cargo-mutants, unit tests only (issue 18).
# Not part of CI: about 12 s a mutant on an idle machine, several minutes a file.
#
#   ./scripts/mutants.sh                      # every file below, one after the other
#   ./scripts/mutants.sh src/crypto.rs        # just these files (from the list or not)
#
# Each file is its own cargo-mutants run (`-f`), one build at a time, so the CPU stays bounded
# on a shared machine. The runs are `--in-place` (the mutants are applied to this checkout and
# reverted, reusing target/ instead of rebuilding every dependency in a scratch copy): do not
# edit the tree while it runs. Prints caught / missed / unviable / timeout per file and in
# total, explains every surviving mutant known to be equivalent, and exits 1 when a survivor is
# not explained. Results stay in target/mutants/<file>/mutants.out/.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! cargo mutants --version >/dev/null 2>&1; then
    cargo install cargo-mutants --locked
fi

# file[:regex of the mutant names to keep] (the CSV neutraliser is one function of its file).
TARGETS=(
    "src/auth/return_to.rs"
    "src/crypto.rs"
    "src/auth/tokens.rs"
    "src/config/parse.rs"
    "src/filevine/retry.rs"
    "src/projects/export.rs:neutralise"
)
if [ "$#" -gt 0 ]; then
    TARGETS=("$@")
fi

# Survivors that are equivalent mutants: a regex on the mutant's line in missed.txt, a tab,
# then why no test can tell the mutant from the original.
EQUIVALENT=(
)

explain() {
    local line="$1" entry pattern why
    for entry in "${EQUIVALENT[@]}"; do
        pattern="${entry%%	*}"
        why="${entry#*	}"
        if [[ "$line" =~ $pattern ]]; then
            echo "$why"
            return 0
        fi
    done
    return 1
}

count() { [ -f "$1" ] && grep -c . "$1" || echo 0; }

total_caught=0 total_missed=0 total_unviable=0 total_timeout=0 unexplained=0
for target in "${TARGETS[@]}"; do
    file="${target%%:*}"
    filter=()
    if [[ "$target" == *:* ]]; then
        filter=(--re "${target#*:}")
    fi
    out="target/mutants/$(echo "$file" | tr '/' '_')"
    rm -rf "$out"
    mkdir -p "$out"
    echo "== $file ${filter[*]:-}"
    # Exit status 2 (mutants missed) and 3 (timeouts) are reported below, not errors here.
    set +e
    cargo mutants --in-place --no-shuffle -f "$file" "${filter[@]}" --cargo-arg=--lib \
        -o "$out" >"$out/log.txt" 2>&1
    rc=$?
    set -e
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 2 ] && [ "$rc" -ne 3 ]; then
        echo "cargo mutants failed on $file (exit $rc): see $out/log.txt"
        tail -20 "$out/log.txt"
        exit 1
    fi
    dir="$out/mutants.out"
    caught=$(count "$dir/caught.txt")
    missed=$(count "$dir/missed.txt")
    unviable=$(count "$dir/unviable.txt")
    timeout=$(count "$dir/timeout.txt")
    echo "   caught $caught, missed $missed, unviable $unviable, timeout $timeout"
    if [ -f "$dir/missed.txt" ]; then
        while IFS= read -r line; do
            [ -n "$line" ] || continue
            if why=$(explain "$line"); then
                echo "   equivalent: $line"
                echo "      $why"
            else
                echo "   MISSED: $line"
                unexplained=$((unexplained + 1))
            fi
        done <"$dir/missed.txt"
    fi
    total_caught=$((total_caught + caught))
    total_missed=$((total_missed + missed))
    total_unviable=$((total_unviable + unviable))
    total_timeout=$((total_timeout + timeout))
done

echo
echo "total: caught $total_caught, missed $total_missed ($unexplained unexplained), unviable $total_unviable, timeout $total_timeout"
[ "$unexplained" -eq 0 ]
