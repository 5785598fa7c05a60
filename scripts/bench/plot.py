"""Draws make bench's results (.build/bench/results.json) as a PNG: on the left each measure's
throughput as a ratio to its reference measured in the same run (or to the published figure it is
compared with), with the bound the issues ask for marked; on the right the p99 latencies beside
the reference's. Measures a run did not make (an older results.json) are left out.

Usage: plot.py RESULTS_JSON OUT_PNG   (needs matplotlib: run.sh installs it in .venv)"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

results = json.load(open(sys.argv[1]))


def get(*path):
    value = results
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def ratio(numerator, denominator):
    return None if numerator is None or not denominator else numerator / denominator


# (label, ratio, bound or None): the bound is the least ratio asked for.
rows = [
    ("GET /protected ÷ reference with the bearer", ratio(get("protected_rps"), get("reference_bearer_rps")), 0.90),
    ("GET /authz ÷ reference with the bearer", ratio(get("authz_rps"), get("reference_bearer_rps")), None),
    ("TCP VERIFY pipelined ÷ 250,000/s", ratio(get("verify_pipelined"), 250000), 1.0),
    ("TCP VERIFY 100k distinct ÷ 250,000/s", ratio(get("signed", "HS256", "verify_distinct"), 250000), 1.0),
    ("storm: VERIFY ÷ idle", ratio(get("storm_verify_pipelined"), get("verify_pipelined")), 0.8),
    ("POST /login ÷ hashing ceiling", ratio(get("login_rps"), get("hashing_ceiling")), None),
    ("import rows/s ÷ 50,000", ratio(get("import", "rows_per_s"), 50000), 1.0),
    ("LDAP bind ÷ line AUTH", get("frontends", "ldap_bind_ratio"), None),
    ("RADIUS ÷ line AUTH", get("frontends", "radius_ratio"), None),
    ("code flow per core ÷ RSA-3072 signs", ratio(get("flows", "code_flow_per_core"),
                                                  get("openssl_per_core", "rsa3072_sign")), None),
    ("client credentials per core ÷ Keycloak's 120", ratio(get("flows", "client_credentials_per_core"), 120), 1.0),
    ("introspection ÷ Hydra's 8,014/s", ratio(get("flows", "introspection_rps"), 8014), None),
]
rows = [row for row in rows if row[1] is not None]
latencies = [
    ("reference GET /hello", get("reference_bearer_p99_ms") or get("reference_p99_ms")),
    ("GET /protected", get("protected_p99_ms")),
    ("GET /protected, login storm", get("storm_protected_p99_ms")),
]
latencies = [row for row in latencies if row[1] is not None]

figure, (left, right) = plt.subplots(1, 2, figsize=(13, 0.45 * len(rows) + 2.2),
                                     gridspec_kw={"width_ratios": [3, 1.4]})
labels = [row[0] for row in reversed(rows)]
values = [row[1] for row in reversed(rows)]
bounds = [row[2] for row in reversed(rows)]
colours = ["#2e7d32" if bound is None or value >= bound else "#e65100" for value, bound in zip(values, bounds, strict=True)]
positions = range(len(rows))
# Drawn up to twice the reference; a longer bar ends there with its value written beside it.
left.barh(positions, [min(value, 2.0) for value in values], color=colours)
for y, (value, bound) in enumerate(zip(values, bounds, strict=True)):
    left.text(min(value, 2.0), y, f" {value:.2f}" + (" ▸" if value > 2.0 else ""), va="center", fontsize=8)
    if bound is not None:
        left.plot([bound, bound], [y - 0.4, y + 0.4], color="black", linewidth=2)
left.set_yticks(list(positions), labels, fontsize=8)
left.axvline(1.0, color="grey", linewidth=0.8, linestyle=":")
left.set_xlim(0, 2.3)
left.set_xlabel("ratio; black tick: the bound asked for; orange: short of it")
left.set_title("Throughput against its reference, same run")

names = [row[0] for row in latencies]
right.bar(range(len(latencies)), [row[1] for row in latencies], color=["#607d8b", "#1565c0", "#c62828"][:len(latencies)])
for x, (_, value) in enumerate(latencies):
    right.text(x, value, f"{value:.2f}", ha="center", va="bottom", fontsize=8)
right.set_xticks(range(len(latencies)), names, rotation=20, ha="right", fontsize=8)
idle = get("protected_p99_ms")
if idle is not None and get("storm_protected_p99_ms") is not None:  # the storm's bound: under twice idle
    right.axhline(2 * idle, color="black", linewidth=1, linestyle="--")
    right.text(-0.4, 2 * idle, "storm's bound: 2 × idle", ha="left", va="bottom", fontsize=8)
right.set_ylabel("p99, ms")
right.set_title("Latency")
figure.suptitle(f"authd make bench, {results.get('date', '?')}: {results.get('cores', '?')} cores, "
                f"{results.get('cpu', '?')}, {results.get('seconds', '?')} s per measure",
                fontsize=10)
figure.tight_layout()
figure.savefig(sys.argv[2], dpi=110)
print(sys.argv[2])
