-- POST /api/v1/context/retrieve with rotating queries.
local n = 0
request = function()
  n = n + 1
  return wrk.format("POST", "/api/v1/context/retrieve", headers, BODIES[(n % #BODIES) + 1])
end
