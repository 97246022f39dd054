-- wrk script: POST pre-signed Slack slash commands to /slack/events.
--
--   wrk ... -s bench/slash_commands.lua URL -- BODIES_FILE THREADS
--
-- BODIES_FILE has one request a line: timestamp TAB signature TAB form body. Slack signatures
-- carry a timestamp that Bolt accepts for 5 minutes, so the benchmark signs a fresh file for
-- every run. Thread k sends lines k, k+THREADS, k+2*THREADS, ... and wraps around at the end.
-- done() prints one line, "BENCHJSON {...}", for bench/ack_path.py to read.

local threads = {}

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

local prepared = {}
local step = 1
local position = 0

function init(args)
  step = tonumber(args[2]) or 1
  position = thread_index
  for line in io.lines(args[1]) do
    local ts, sig, body = line:match("^(%d+)\t(%S+)\t(.*)$")
    prepared[#prepared + 1] = wrk.format("POST", "/slack/events", {
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["X-Slack-Request-Timestamp"] = ts,
      ["X-Slack-Signature"] = sig,
    }, body)
  end
end

function request()
  local req = prepared[(position % #prepared) + 1]
  position = position + step
  return req
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"non_2xx": %d, "connect_errors": %d, "read_errors": %d, "write_errors": %d, "timeouts": %d, ' ..
    '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "max": %d, "mean": %.1f}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
