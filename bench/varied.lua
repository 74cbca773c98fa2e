-- A logged-in GET of discovery with a different search word, sector and region each time, so that
-- nearly every request misses the caches: what a crowd of investors with their own queries costs.
wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
local function split(text)
  local items = {}
  for item in string.gmatch(text, "[^,]+") do items[#items + 1] = item end
  return items
end
local words = split(os.getenv("BENCH_WORDS"))
local sectors = split(os.getenv("BENCH_SECTORS"))
local regions = split(os.getenv("BENCH_REGIONS"))
setup = function(thread) thread:set("seed", math.random(1, 1000000)) end
init = function() math.randomseed(seed) end
request = function()
  local path = string.format("/startups/?q=%s&sector=%s&region=%s&page=%d", words[math.random(#words)],
    sectors[math.random(#sectors)], regions[math.random(#regions)], math.random(1, 3))
  return wrk.format("GET", path)
end
dofile(os.getenv("BENCH_DIR") .. "/report.lua")
