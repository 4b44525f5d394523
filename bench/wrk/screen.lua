-- wrk script of bench/: the request of one screen, and a machine-readable summary.
--   BENCH_PATH    the path to request, e.g. /v1/products/p00042 or /v1/home
--   BENCH_ROTATE  if set to N, requests BENCH_PATH .. pNNNNN for p00001..pN in turn
--                 (BENCH_PATH is then the prefix, e.g. /v1/products/)
--   BENCH_GRAPHQL_QUERY  if set (a JSON string: the query text), POSTs it to BENCH_PATH
--                 (/graphql) with the variables {"id": pNNNNN} (p00042, or rotating as above)
local path = os.getenv("BENCH_PATH") or "/"
local rotate = tonumber(os.getenv("BENCH_ROTATE") or "")
local counter = 0
-- bff-web refuses /api requests without it (its CSRF defence); the others ignore it.
local headers = { ["X-CSRF"] = "1" }
local graphql = os.getenv("BENCH_GRAPHQL_QUERY")
local graphql_headers = { ["X-CSRF"] = "1", ["Content-Type"] = "application/json" }

request = function()
  if graphql then
    local id = "p00042"
    if rotate then
      counter = counter % rotate + 1
      id = string.format("p%05d", counter)
    end
    local body = '{"query":' .. graphql .. ',"variables":{"id":"' .. id .. '"}}'
    return wrk.format("POST", path, graphql_headers, body)
  end
  if rotate then
    counter = counter % rotate + 1
    return wrk.format("GET", path .. string.format("p%05d", counter), headers)
  end
  return wrk.format("GET", path, headers)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect_errors":%d,"read_errors":%d,' ..
    '"write_errors":%d,"status_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"mean_us":%.1f,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max))
end
