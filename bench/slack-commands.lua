-- wrk script: replays the signed /digest search requests written by
-- bench/slackload, each once, split between wrk's threads.
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

function init(args)
  local file = args[1] or "requests.txt"
  local nthreads = tonumber(args[2] or "2")
  local f = assert(io.open(file, "r"))
  ts = f:read("*l")
  sigs, bodies = {}, {}
  local k = 0
  for line in f:lines() do
    if k % nthreads == tid then
      local tab = line:find("\t", 1, true)
      sigs[#sigs + 1] = line:sub(1, tab - 1)
      bodies[#bodies + 1] = line:sub(tab + 1)
    end
    k = k + 1
  end
  f:close()
  i = 0
end

function request()
  i = i + 1
  if i > #bodies then i = 1 end -- out of fresh requests: replays get 401
  return wrk.format("POST", "/slack/commands", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-Slack-Request-Timestamp"] = ts,
    ["X-Slack-Signature"] = sigs[i],
  }, bodies[i])
end
