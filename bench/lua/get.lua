-- GET cached episodes round robin; count replies served from the redb cache.
request = function()
  local id = ids[(position % #ids) + 1]
  position = position + nthreads
  return wrk.format("GET", "/api/v1/episodes/" .. id, headers)
end

response = function(status, hdrs, body)
  if status == 200 and string.find(body, '"source":%s*"cache"') then
    hits = hits + 1
  else
    misses = misses + 1
  end
end
