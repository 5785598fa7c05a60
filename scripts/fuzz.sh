#!/usr/bin/env bash
# `make fuzz`: builds the libFuzzer targets in Fuzz/ (line-protocol parser, JWT verification, DPoP proofs, CBOR (WebAuthn), PHC
# parser, OAuth form bodies and Basic credentials, Dovecot auth lines, RADIUS packets, LDAP's BER,
# SMTP replies) with AddressSanitizer into .build-fuzz, then runs each for FUZZ_SECONDS (default 60)
# from its seeds in Fuzz/corpus/<target>, growing a working corpus under .build-fuzz/corpus. A
# crash stops the run with the input in .build-fuzz/crashes/: turn it into a regression test.
# Usage: make fuzz   [FUZZ_SECONDS=60]   [FUZZ_TARGETS="FuzzPHC ..."]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
read -r -a targets <<<"${FUZZ_TARGETS:-FuzzLineCodec FuzzAccessToken FuzzDPoPProof FuzzCBOR FuzzPHC FuzzOAuthForm FuzzDovecotAuth FuzzRadius FuzzBER FuzzSMTPReply}"
export AUTHD_FUZZ=1
# A crash is reported by libFuzzer and AddressSanitizer, at once; Swift's backtracer would take minutes.
export SWIFT_BACKTRACE=enable=no
# lld: gold fails on the link SwiftPM asks for (its main=<Target>_main alias beside libFuzzer).
build=(swift build -c release --scratch-path .build-fuzz -Xswiftc "-sanitize=fuzzer,address" -Xswiftc -parse-as-library
    -Xswiftc -use-ld=lld)
echo "fuzz: building ${targets[*]} with libFuzzer and AddressSanitizer (minutes the first time)" >&2
for target in "${targets[@]}"; do "${build[@]}" --product "$target" >/dev/null; done
bin=$("${build[@]}" --show-bin-path)
mkdir -p .build-fuzz/crashes
for target in "${targets[@]}"; do
    corpus=.build-fuzz/corpus/$target
    mkdir -p "$corpus"
    dict=()
    [ -f "Fuzz/$target.dict" ] && dict=(-dict="Fuzz/$target.dict")
    echo "fuzz: $target for ${seconds} s" >&2
    status=0
    "$bin/$target" -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 "${dict[@]}" \
        -artifact_prefix=".build-fuzz/crashes/$target-" "$corpus" "Fuzz/corpus/$target" >".build-fuzz/$target.log" 2>&1 ||
        status=$?
    grep -E '^(Done [0-9]+ runs|stat::number_of_executed_units|==[0-9]+==|SUMMARY|Test unit written)|Fatal error' \
        ".build-fuzz/$target.log" || true
    [ "$status" = 0 ] || { echo "fuzz: $target FAILED (full output in .build-fuzz/$target.log)" >&2; exit 1; }
done
echo "fuzz: ${targets[*]} ran ${seconds} s each without a crash" >&2
