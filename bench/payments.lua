-- payments.lua - wrk script: POSTs pre-signed payments to the merchant API.
--
--   wrk -t1 -c64 -d15s -s bench/payments.lua http://127.0.0.1:PORT -- REQUESTS_FILE [THREADS]
--
-- REQUESTS_FILE is written by bench/make_requests.py. Each wrk thread formats its share of the
-- requests once, at init (line k goes to thread k mod THREADS, which must be wrk's -t), then
-- cycles through them, so no order_ref is sent twice unless the file runs out ("wrapped").
-- Every answer other than 201 is counted, and the first one is kept for the report.
-- done() prints one line for bench/run:
--   BENCH requests=N duration_us=N rps=N p50_us=N p75_us=N p90_us=N p99_us=N max_us=N
--         status_201=N status_other=N closes=N errors=N wrapped=N
-- (closes: answers with "Connection: close", i.e. keep-alive not kept)
-- then, when there is one, "BENCH_FIRST_OTHER <status> <start of the body>".

local threads = {}
local counter = 0

function setup(thread)
	thread:set("id", counter)
	counter = counter + 1
	table.insert(threads, thread)
end

local requests = {}
local n = 0
local i = 0
ok = 0
other = 0
closes = 0
wrapped = 0
first_other = ""

function init(args)
	local path = args[1]
	local f = assert(io.open(path, "r"), "cannot open " .. tostring(path))
	local site, rang = f:read("*l"):match("^(%S+) (%S+)")
	local nthreads = tonumber(args[2] or "1") -- the -t given to wrk
	local k = 0
	local headers = {
		["Content-Type"] = "application/json",
		["X-Guichet-Site"] = site,
		["X-Guichet-Rang"] = rang,
	}
	for line in f:lines() do
		if k % nthreads == id then
			local sig, body = line:match("^(%x+) (.+)$")
			headers["X-Guichet-Signature"] = sig
			n = n + 1
			requests[n] = wrk.format("POST", "/api/v1/payments", headers, body)
		end
		k = k + 1
	end
	f:close()
	assert(n > 0, "no request in " .. path)
end

function request()
	i = i + 1
	if i > n then
		i = 1
		wrapped = wrapped + 1
	end
	return requests[i]
end

function response(status, headers, body)
	if headers["Connection"] == "close" or headers["connection"] == "close" then
		closes = closes + 1
	end
	if status == 201 then
		ok = ok + 1
	else
		other = other + 1
		if first_other == "" then
			first_other = status .. " " .. string.sub(body or "", 1, 300)
		end
	end
end

function done(summary, latency, requests)
	local ok_n, other_n, closes_n, wrapped_n, first = 0, 0, 0, 0, ""
	for _, t in ipairs(threads) do
		ok_n = ok_n + t:get("ok")
		other_n = other_n + t:get("other")
		closes_n = closes_n + t:get("closes")
		wrapped_n = wrapped_n + t:get("wrapped")
		if first == "" then
			first = t:get("first_other")
		end
	end
	local e = summary.errors
	local errors = e.connect + e.read + e.write + e.timeout
	io.write(string.format(
		"BENCH requests=%d duration_us=%d rps=%.0f p50_us=%d p75_us=%d p90_us=%d " ..
		"p99_us=%d max_us=%d status_201=%d status_other=%d closes=%d errors=%d " ..
		"wrapped=%d\n",
		summary.requests, summary.duration, summary.requests / summary.duration * 1e6,
		latency:percentile(50), latency:percentile(75), latency:percentile(90),
		latency:percentile(99), latency.max, ok_n, other_n, closes_n, errors, wrapped_n))
	if first ~= "" then
		io.write("BENCH_FIRST_OTHER " .. first:gsub("\n", " ") .. "\n")
	end
end
