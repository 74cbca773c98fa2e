-- A logged-in GET: the session cookie comes from the environment.
wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
dofile(os.getenv("BENCH_DIR") .. "/report.lua")
