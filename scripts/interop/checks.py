"""What the interop checks share: a check printed as "ok: …" (scripts/test.sh counts those) or
"FAIL: …" on stderr, and the end of a run. `check` lets the run go on; `require` ends it at once
when what follows depends on it."""
import sys

failures = 0


def check(condition, what, detail=""):
    """Prints ok: WHAT, or counts FAIL: WHAT DETAIL; returns the condition."""
    global failures
    if condition:
        print(f"ok: {what}", flush=True)
    else:
        failures += 1
        print(f"FAIL: {what}" + (f" {detail}" if detail else ""), file=sys.stderr, flush=True)
    return condition


def require(condition, what, detail=""):
    """As check, but a failure ends the run with status 1."""
    if not check(condition, what, detail):
        sys.exit(1)


def finish():
    """Exits 1 when any check failed, else 0."""
    sys.exit(1 if failures else 0)
