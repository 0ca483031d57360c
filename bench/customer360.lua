-- wrk script for the Customer 360 read benchmark: GET /api/v1/customers/{id} with random ids.
-- Environment: GUANXI_BENCH_KEY (an API key with the read scope), GUANXI_BENCH_MIN_ID and
-- GUANXI_BENCH_MAX_ID (the id range load-shop printed).
local key = os.getenv("GUANXI_BENCH_KEY") or error("set GUANXI_BENCH_KEY")
local min_id = tonumber(os.getenv("GUANXI_BENCH_MIN_ID") or "1")
local max_id = tonumber(os.getenv("GUANXI_BENCH_MAX_ID") or "1000000")
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
end

function init(args)
  math.randomseed(os.time() + (seed or 0) * 7919)
  wrk.headers["Authorization"] = "Bearer " .. key
end

function request()
  return wrk.format("GET", "/api/v1/customers/" .. math.random(min_id, max_id))
end
