// The nginx data plane's dyno table, in Lua (nginx's lua module): where each app's requests go is
// read from a shared dictionary that the router process replaces through a control socket, so a
// deploy, a scale or a restarted dyno changes nginx's upstreams without a reload — a reload closes
// every keep-alive connection of the old workers, and a client that sent its next request at that
// moment got no answer. The same idea as Kubernetes' ingress-nginx. The dictionary survives reloads;
// at a (re)start, init() loads the table the router process last wrote to a file.
//
// A table is lines of `app id \t dyno,dyno,…`, a dyno being `host port name id` (the router
// process checks each value: no space, comma, tab or newline in any). Nothing is counted per
// request here (a log-phase handler and a counter cost a request ~3,000 instructions, callgrind): a
// leaving dyno's requests are nginx's connections to it (nginx-data-plane.ts).
export const BALANCER_LUA = String.raw`local balancer = require "ngx.balancer"
local ffi = require "ffi"
local base = require "resty.core.base"
require "resty.core.var"

-- The request's $slipway_app and $slipway_dyno through the lua module's own functions, with buffers
-- made once: ngx.var's table costs a request ~5,000 instructions a use (callgrind), these ~500.
local C = ffi.C
local get_request = base.get_request
local value, value_len, err = ffi.new("char *[1]"), ffi.new("size_t[1]"), ffi.new("char *[1]")
local lower = ffi.new("char[16]")
local errbuf, errlen, ulower = ffi.new("unsigned char[256]"), ffi.new("size_t[1]"), ffi.new("unsigned char[16]")
local function app_of(r)
  if C.ngx_http_lua_ffi_var_get(r, "slipway_app", 11, lower, 0, value, value_len, err) ~= 0 then return "" end
  return ffi.string(value[0], value_len[0])
end
local function set_dyno(r, name)
  errlen[0] = 256
  C.ngx_http_lua_ffi_var_set(r, "slipway_dyno", 12, ulower, name, #name, errbuf, errlen)
end

local dict = ngx.shared.slipway
local M = {}

-- Per worker: each app's dynos parsed from the dictionary's string (kept while it is the same), and
-- the last dyno it sent to (round robin, as nginx's own upstreams).
local peers = {}

local function parse(s)
  local t = { s = s }
  for host, port, name, id in s:gmatch("([^ ,]+) (%d+) ([^ ,]+) ([^ ,]+)") do
    t[#t + 1] = { host, tonumber(port), name, id }
  end
  return t
end

-- Apply a table; prune: also forget the apps it does not hold.
local function apply(body, prune)
  local seen = {}
  for app, dynos in body:gmatch("([^\t\n]+)\t([^\n]*)") do
    seen[app] = true
    if prune or dynos ~= "" then dict:set(app, dynos) end
  end
  if prune then
    for _, key in ipairs(dict:get_keys(0)) do
      if not seen[key] then dict:delete(key) end
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

-- The upstream of every app: the next dyno of the app the Host names ($slipway_app), or after a
-- failed attempt (a GET or HEAD nginx retries) the one after it. $slipway_dyno names the dyno for
-- the access line when there was one attempt.
function M.balance()
  local r = get_request()
  local app = app_of(r)
  local s = dict:get(app)
  local t = peers[app]
  if not t or t.s ~= s then
    t = parse(s or "")
    t.turn = 0
    peers[app] = t
  end
  local n = #t
  if n == 0 then
    ngx.log(ngx.ERR, "slipway: no dyno for app ", app)
    return ngx.exit(502)
  end
  local i = t.turn % n + 1
  t.turn = i
  local p = t[i]
  if balancer.get_last_failure() then
    set_dyno(r, "")
  else
    if n > 1 then balancer.set_more_tries(n - 1) end
    if p[3] ~= "-" then set_dyno(r, p[3]) end
  end
  local ok, err = balancer.set_current_peer(p[1], p[2])
  if not ok then ngx.log(ngx.ERR, "slipway: ", err) end
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

return M
`;
