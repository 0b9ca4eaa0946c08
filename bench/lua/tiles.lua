-- wrk script for tiles: each request GETs a random line of a file of paths, and the summary
-- ends with the percentiles wrk's --latency leaves out (p95) and the status counts.
--   wrk ... -s bench/lua/tiles.lua URL -- PATHS_FILE
local paths = {}
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    paths[#paths + 1] = line
  end
  -- one seed per thread: wrk runs init once in each thread's own Lua state
  local address = tostring({}):match("0x(%x+)") or "0"
  math.randomseed(os.time() + tonumber(address, 16) % 1000003)
  statuses = {}
end

function request()
  return wrk.format("GET", paths[math.random(#paths)])
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  for _, p in ipairs({50, 90, 95, 99}) do
    io.write(string.format("tile-percentile %d %.3f\n", p, latency:percentile(p) / 1000.0))
  end
  io.write(string.format("tile-max %.3f\n", latency.max / 1000.0))
  local counts = {}
  for _, thread in ipairs(threads) do
    local seen = thread:get("statuses")
    for status, n in pairs(seen) do
      counts[status] = (counts[status] or 0) + n
    end
  end
  for status, n in pairs(counts) do
    io.write(string.format("tile-status %d %d\n", status, n))
  end
end
