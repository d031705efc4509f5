-- GET the first page of the episode list (newest first), rotating the page size.
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", PATHS[(n % #PATHS) + 1], headers)
end
