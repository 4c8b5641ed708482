// The nginx data plane's dyno table, in Lua (nginx's lua module): where each app's requests go is
// read from a shared dictionary that the router process replaces through a control socket, so a
// deploy, a scale or a restarted dyno changes nginx's upstreams without a reload — a reload closes
// every keep-alive connection of the old workers, and a client that sent its next request at that
// moment got no answer. The same idea as Kubernetes' ingress-nginx. The dictionary survives reloads;
// at a (re)start, init() loads the table the router process last wrote to a file.
//
// A table is lines of `app id \t dyno,dyno,…`, a dyno being `host port name id` (the router
// process checks each value: no space, comma, tab or newline in any). Requests in flight per dyno
// are counted in the dictionary too ("f:" id), so a dyno that left is stopped only once nginx has
// answered what it sent there.
export const BALANCER_LUA = String.raw`local balancer = require "ngx.balancer"
local base = require "resty.core.base"
local ffi = require "ffi"

local dict = ngx.shared.slipway
local get_request = base.get_request
local M = {}

-- Per worker: each app's dynos parsed from the dictionary's string (kept while it is the same),
-- the last dyno each app sent to (round robin, as nginx's own upstreams), and the dyno of each
-- request in flight (ended in M.done, nginx's log phase).
local peers = {}
local turn = {}
local running = {}

local function parse(s)
  local t = { s = s }
  for host, port, name, id in s:gmatch("([^ ,]+) (%d+) ([^ ,]+) ([^ ,]+)") do
    t[#t + 1] = { host, tonumber(port), name, id }
  end
  return t
end

local function request_key()
  return tonumber(ffi.cast("uintptr_t", get_request()))
end

-- Apply a table; prune: also forget the apps it does not hold and the counts of dynos no request is at.
local function apply(body, prune)
  local seen = {}
  for app, dynos in body:gmatch("([^\t\n]+)\t([^\n]*)") do
    seen["a:" .. app] = true
    if prune or dynos ~= "" then dict:set("a:" .. app, dynos) end
    for id in dynos:gmatch("[^ ,]+ %d+ [^ ,]+ ([^ ,]+)") do seen["f:" .. id] = true end
  end
  if prune then
    for _, key in ipairs(dict:get_keys(0)) do
      if not seen[key] and (key:sub(1, 2) == "a:" or (dict:get(key) or 0) <= 0) then dict:delete(key) end
    end
  end
end

-- At nginx's start and each reload (in the master): the table last written. Apps without a dyno
-- in it keep what they had until the router process prunes, after the reload that stops routing them.
function M.init(file)
  local f = io.open(file, "r")
  if not f then return end
  local body = f:read("*a")
  f:close()
  apply(body, false)
end

-- An app's upstream: the next of its dynos, or after a failed attempt (a GET or HEAD nginx retries)
-- the one after it. $slipway_dyno names the dyno for the access line when there was one attempt.
function M.balance(app)
  local s = dict:get("a:" .. app)
  local t = peers[app]
  if not t or t.s ~= s then
    t = parse(s or "")
    peers[app] = t
  end
  local n = #t
  if n == 0 then
    ngx.log(ngx.ERR, "slipway: no dyno for app ", app)
    return ngx.exit(502)
  end
  local r = request_key()
  local before = running[r]
  if before then
    dict:incr("f:" .. before, -1)
    ngx.var.slipway_dyno = ""
  else
    if n > 1 then balancer.set_more_tries(n - 1) end
  end
  local i = (turn[app] or 0) % n + 1
  turn[app] = i
  local p = t[i]
  running[r] = p[4]
  dict:incr("f:" .. p[4], 1, 0)
  if not before then ngx.var.slipway_dyno = p[3] end
  local ok, err = balancer.set_current_peer(p[1], p[2])
  if not ok then ngx.log(ngx.ERR, "slipway: ", err) end
end

-- nginx's log phase, for every request: the end of one sent to a dyno.
function M.done()
  local r = request_key()
  local id = running[r]
  if id then
    running[r] = nil
    dict:incr("f:" .. id, -1)
  end
end

-- The control socket: PUT /dynos (a whole table; ?prune=1 to forget what it does not hold).
function M.put()
  ngx.req.read_body()
  local body = ngx.req.get_body_data()
  if not body and ngx.req.get_body_file() then
    ngx.status = 413
    ngx.say("the table did not fit in the control server's body buffer")
    return
  end
  apply(body or "", ngx.var.arg_prune == "1")
  ngx.say("ok")
end

-- GET /in-flight: "id count" for each dyno a request is at.
function M.in_flight()
  local out = {}
  for _, key in ipairs(dict:get_keys(0)) do
    if key:sub(1, 2) == "f:" then
      local n = dict:get(key) or 0
      if n > 0 then out[#out + 1] = key:sub(3) .. " " .. n end
    end
  end
  ngx.say(table.concat(out, "\n"))
end

return M
`;
