-- wrk: POST /login as $BENCH_USER (made by scripts/bench/run.sh).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"username":"' .. os.getenv("BENCH_USER") .. '","password":"bench password 1"}'
