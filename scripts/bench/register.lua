-- wrk: POST /register with a new username on every request ($BENCH_PREFIX, thread, counter).
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local counter = 0
function request()
  counter = counter + 1
  local name = os.getenv("BENCH_PREFIX") .. tid .. "n" .. counter
  local body = '{"username":"' .. name .. '","email":"' .. name .. '@example.com","password":"bench password 1"}'
  return wrk.format("POST", "/register", { ["Content-Type"] = "application/json" }, body)
end
