-- Complete each open episode of the ids file once; a thread stops when its share runs out.
local n = 0
request = function()
  if position >= #ids then
    exhausted = 1
    wrk.thread:stop()
    position = tid
  end
  local id = ids[position + 1]
  position = position + nthreads
  n = n + 1
  return wrk.format("POST", "/api/v1/episodes/" .. id .. "/complete", headers,
                    BODIES[(n % #BODIES) + 1])
end
