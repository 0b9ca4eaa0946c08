-- wrk script: each request GETs a random line of a file of paths.
--   wrk ... -s bench/lua/paths.lua URL -- PATHS_FILE [forwarded]
-- "forwarded" adds a random X-Forwarded-For, so a per-client rate limit that believes the
-- header from 127.0.0.1 (LANDREG_TRUSTED_PROXIES, set by api_bench.py) sees every request
-- come from another client.
local paths = {}
local forwarded = false

function init(args)
  for line in io.lines(args[1]) do
    paths[#paths + 1] = line
  end
  forwarded = args[2] == "forwarded"
  -- one seed per thread: wrk runs init once in each thread's own Lua state
  local address = tostring({}):match("0x(%x+)") or "0"
  math.randomseed(os.time() + tonumber(address, 16) % 1000003)
end

function request()
  local headers = {}
  if forwarded then
    headers["X-Forwarded-For"] = string.format(
      "10.%d.%d.%d", math.random(0, 255), math.random(0, 255), math.random(1, 254)
    )
  end
  return wrk.format("GET", paths[math.random(#paths)], headers)
end
