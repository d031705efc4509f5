-- POST a batch of 10 steps to open episodes, round robin over the ids file.
local n = 0
request = function()
  local id = ids[(position % #ids) + 1]
  position = position + nthreads
  n = n + 1
  return wrk.format("POST", "/api/v1/episodes/" .. id .. "/steps", headers,
                    BODIES[(n % #BODIES) + 1])
end
