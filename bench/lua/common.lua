-- Shared by every case (prepended to the case script by bench/wrk.py).
-- Arguments after "--": the API key, then an optional file of episode ids.
local threads = {}
local next_tid = 0

setup = function(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
  table.insert(threads, thread)
end

function read_lines(path)
  local out = {}
  if path == nil or path == "" then return out end
  for line in io.lines(path) do
    if line ~= "" then table.insert(out, line) end
  end
  return out
end

headers = {}
ids = {}
hits = 0
misses = 0
exhausted = 0
served = 0

init = function(args)
  headers["Authorization"] = "Bearer " .. args[1]
  headers["Content-Type"] = "application/json"
  ids = read_lines(args[2])
  nthreads = tonumber(args[3] or "1")
  position = tid
end

done = function(summary, latency, requests)
  local h, m, x = 0, 0, 0
  for _, t in ipairs(threads) do
    h = h + (t:get("hits") or 0)
    m = m + (t:get("misses") or 0)
    x = x + (t:get("exhausted") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"p50":%.1f,"p95":%.1f,"p99":%.1f,' ..
    '"max":%.1f,"mean":%.1f,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
    '"hits":%d,"misses":%d,"exhausted":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean, e.connect, e.read, e.write, e.status,
    e.timeout, h, m, x))
end
