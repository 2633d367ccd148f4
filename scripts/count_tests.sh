#!/usr/bin/env bash
# Counts the test functions (`#[test]`, `#[tokio::test]`, proptest cases count once each),
# keeping the app's tests apart from those of the stand-in for Filevine
# (`tests/fake_filevine/` and `crates/fake-filevine`), which test the stand-in, not the app.
set -euo pipefail
cd "$(dirname "$0")/.."
count() { grep -rhoE '#\[(tokio::)?test' "$@" | wc -l; }
# Every test target but the stand-in's: tests/*.rs and tests/<name>/ directories (with common/).
app_files=$(ls -d tests/*.rs tests/*/ | grep -v -e '^tests/fake_filevine/$' -e '^tests/e2e/$')
app_black_box=$(count $app_files)
app_unit=$(count src)
stand_in=$(($(count tests/fake_filevine) + $(count crates/fake-filevine)))
echo "app: $((app_black_box + app_unit)) ($app_unit unit, $app_black_box black-box in tests/)"
echo "stand-in: $stand_in (tests/fake_filevine/ and crates/fake-filevine)"
