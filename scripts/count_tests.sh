#!/usr/bin/env bash
# Counts the test functions (`#[test]`, `#[tokio::test]`, proptest cases count once each),
# keeping the app's tests apart from those of the stand-in for Filevine
# (`tests/it/fake_filevine/` and `crates/fake-filevine`), which test the stand-in, not the app.
set -euo pipefail
cd "$(dirname "$0")/.."
count() { grep -rhoE '#\[(tokio::)?test' "$@" | wc -l; }
# Every black-box test file of the app: tests/**/*.rs but the stand-in's and the e2e peer's.
app_files=$(find tests -name '*.rs' -not -path 'tests/it/fake_filevine/*' -not -path 'tests/e2e/*')
app_black_box=$(count $app_files)
app_unit=$(count src)
stand_in=$(($(count tests/it/fake_filevine) + $(count crates/fake-filevine)))
echo "app: $((app_black_box + app_unit)) ($app_unit unit, $app_black_box black-box in tests/)"
echo "stand-in: $stand_in (tests/it/fake_filevine/ and crates/fake-filevine)"
