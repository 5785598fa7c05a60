-- wrk: POST /password/forgot for $BENCH_USER: each request queues a reset request in the outbox
-- (the account's limit of 3 an hour turns all but the first few into nothing at delivery).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"login":"' .. os.getenv("BENCH_USER") .. '"}'
