-- A form POST (the bookmark toggle): body and cookie come from the environment.
wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
dofile(os.getenv("BENCH_DIR") .. "/report.lua")
