// The nginx data plane's route table, in Lua (nginx's lua module): what each host name leads to
// (its app, maintenance, a private space's trusted ranges, its dynos) is read from a shared
// dictionary that the router process replaces through a control socket, and so is the certificate
// each name is given on the TLS port (a second dictionary: host name → its certificate's file), so
// nothing — a deploy, a scale, an app created or destroyed, maintenance, a custom domain, a
// certificate — changes nginx's configuration or reloads it. A reload closes every keep-alive
// connection of the old workers, and a client that sent its next request at that moment got no
// answer (whichever tenant's change it was). Kubernetes' ingress-nginx keeps its endpoints and
// certificates this way. The dictionaries survive reloads; at a (re)start, init() loads the tables
// the router process last wrote to files.
//
// A route table is lines of `host \t app id \t m (maintenance) or nothing \t ranges \t dyno,dyno,…`,
// ranges being `*` (every address), nothing (none) or `base/bits,…` (IPv4, base as a number), a
// dyno `host port name id` (the router process checks each value: no space, comma, tab or newline
// in any). A certificate table is lines of `host \t file` (the file holds the chain and the key, in
// PEM, named by their hash: a new certificate is a new file). A request no dyno is to answer (no
// app, refused, maintenance, no web dyno) goes to the page server of its kind, a socket in the
// router's folder (nginx-conf.ts). Nothing is counted per request here (a log-phase handler and a
// counter cost a request ~3,000 instructions, callgrind): a leaving dyno's requests are nginx's
// connections to it (nginx-data-plane.ts).
export const BALANCER_LUA = String.raw`local balancer = require "ngx.balancer"
local ssl = require "ngx.ssl"
local ffi = require "ffi"
local base = require "resty.core.base"
require "resty.core.var"

-- The request's variables through the lua module's own functions, with buffers made once: ngx.var's
-- table costs a request ~5,000 instructions a use (callgrind), these ~500.
local C = ffi.C
local get_request = base.get_request
local value, value_len, err = ffi.new("char *[1]"), ffi.new("size_t[1]"), ffi.new("char *[1]")
local lower = ffi.new("char[32]")
local errbuf, errlen, ulower = ffi.new("unsigned char[256]"), ffi.new("size_t[1]"), ffi.new("unsigned char[32]")
local function get_var(r, name)
  if C.ngx_http_lua_ffi_var_get(r, name, #name, lower, 0, value, value_len, err) ~= 0 then return nil end
  return value[0], value_len[0]
end
local function set_var(r, name, v)
  errlen[0] = 256
  C.ngx_http_lua_ffi_var_set(r, name, #name, ulower, v, #v, errbuf, errlen)
end

local dict = ngx.shared.slipway
local certificates = ngx.shared.slipway_certificates
local M = {}
-- "unix:<the page servers' folder>/": set at init, in the master, before the workers are forked.
local pages = "unix:/nonexistent/"

-- Per worker: each host's route parsed from the dictionary's string (kept while it is the same), with
-- the last dyno it sent to (round robin, as nginx's own upstreams).
local routes = {}

local function parse(s)
  local app, flag, ranges, dynos = s:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
  local t = { s = s, app = app or "", maintenance = flag == "m", turn = 0 }
  if ranges ~= "*" then
    t.ranges = {}
    for b, bits in (ranges or ""):gmatch("(%d+)/(%d+)") do
      t.ranges[#t.ranges + 1] = { tonumber(b), 2 ^ (32 - tonumber(bits)) }
    end
  end
  for host, port, name, id in (dynos or ""):gmatch("([^ ,]+) (%d+) ([^ ,]+) ([^ ,]+)") do
    t[#t + 1] = { host, tonumber(port), name, id }
  end
  return t
end

-- Whether the client's address is in one of the ranges (IPv4 only, as a space's ranges are).
local function trusted(r, ranges)
  local p, n = get_var(r, "binary_remote_addr")
  if not p or n ~= 4 then return false end
  local a = ((p[0] % 256) * 16777216) + ((p[1] % 256) * 65536) + ((p[2] % 256) * 256) + (p[3] % 256)
  for i = 1, #ranges do
    local x = ranges[i]
    if a - a % x[2] == x[1] then return true end
  end
  return false
end

-- Apply a table (of routes or certificates) to its dictionary; prune: first forget the hosts it does
-- not hold. An entry that does not fit is never made room for by evicting another (set would,
-- silently): the first such error is returned.
local function apply(into, body, prune)
  local entries = {}
  for host, value in body:gmatch("([^\t\n]+)\t([^\n]*)") do entries[host] = value end
  if prune then
    for _, key in ipairs(into:get_keys(0)) do
      if not entries[key] then into:delete(key) end
    end
  end
  local failed
  for host, value in pairs(entries) do
    local ok, e = into:safe_set(host, value)
    if not ok and not failed then failed = host .. ": " .. e end
  end
  return failed
end

local function load(into, file, what)
  local f = io.open(file, "r")
  if not f then return end
  local body = f:read("*a")
  f:close()
  local failed = apply(into, body, false)
  if failed then ngx.log(ngx.ERR, "slipway: the ", what, " does not fit in nginx's dictionary (", failed, ")") end
end

-- At nginx's start and each reload (in the master): the tables last written, and where the pages are.
function M.init(routes_file, certificates_file, page_dir)
  pages = "unix:" .. page_dir .. "/"
  load(dict, routes_file, "route table")
  load(certificates, certificates_file, "certificate table")
end

-- A request no dyno is to answer: to the page server of its kind ($slipway_page names it for the line).
local function page(r, kind)
  set_var(r, "slipway_page", kind)
  local ok, e = balancer.set_current_peer(pages .. kind .. ".sock")
  if not ok then ngx.log(ngx.ERR, "slipway: ", e) end
end

-- The upstream of every request: the route of its host ($host: lower-cased, without port), then the
-- next dyno of its app, or after a failed attempt (a GET or HEAD nginx retries) the one after it.
-- $slipway_app names the app for the access line; $slipway_dyno the dyno, when there was one attempt.
function M.balance()
  local r = get_request()
  local hp, hn = get_var(r, "host")
  local host = hp and ffi.string(hp, hn)
  local s = host and dict:get(host)
  if not s then return page(r, "none") end
  local t = routes[host]
  if not t or t.s ~= s then
    t = parse(s)
    routes[host] = t
  end
  set_var(r, "slipway_app", t.app)
  if t.ranges and not trusted(r, t.ranges) then return page(r, "refused") end
  if t.maintenance then return page(r, "maintenance") end
  local n = #t
  if n == 0 then return page(r, "idle") end
  local i = t.turn % n + 1
  t.turn = i
  local p = t[i]
  if balancer.get_last_failure() then
    set_var(r, "slipway_dyno", "")
  else
    if n > 1 then balancer.set_more_tries(n - 1) end
    if p[3] ~= "-" then set_var(r, "slipway_dyno", p[3]) end
  end
  local ok, e = balancer.set_current_peer(p[1], p[2])
  if not ok then ngx.log(ngx.ERR, "slipway: ", e) end
end

-- Per worker: each name's certificate and key, parsed from its file (kept while the name's file is the same).
local placed = {}

-- A TLS handshake (ssl_certificate_by_lua): the certificate of the name the client sent (SNI). A
-- name without one, or no name, gets no handshake: the configuration's placeholder is never given.
function M.certificate()
  local name = ssl.server_name()
  name = name and name:lower()
  local file = name and certificates:get(name)
  if not file then
    if name then placed[name] = nil end
    return ngx.exit(ngx.ERROR)
  end
  local c = placed[name]
  if not c or c.file ~= file then
    local f = io.open(file, "r")
    local pem = f and f:read("*a")
    if f then f:close() end
    local cert = pem and ssl.parse_pem_cert(pem)
    local key = pem and ssl.parse_pem_priv_key(pem)
    if not cert or not key then
      ngx.log(ngx.ERR, "slipway: cannot load the certificate of ", name, " from ", file)
      return ngx.exit(ngx.ERROR)
    end
    c = { file = file, cert = cert, key = key }
    placed[name] = c
  end
  ssl.clear_certs()
  local ok, e = ssl.set_cert(c.cert)
  if ok then ok, e = ssl.set_priv_key(c.key) end
  if not ok then
    ngx.log(ngx.ERR, "slipway: cannot serve the certificate of ", name, ": ", e)
    return ngx.exit(ngx.ERROR)
  end
end

-- A request's X-Request-Id (set_by_lua, before the request is proxied): the client's when it looks
-- like one (as Heroku's router keeps it), else a fresh one shaped as a UUID v4, as Heroku's router
-- and the Node router give. nginx's $request_id cost a request ~6,600 instructions (OpenSSL's
-- RAND_bytes, callgrind); here a worker draws 90 random bits once (LuaJIT's generator, seeded from
-- the kernel's) and counts the rest: ids tell requests apart, they are no secret (a client may send
-- its own). Also X-Request-Start: when nginx received the request, in milliseconds (Heroku's).
local random, format, find, tohex, floor, tostr = math.random, string.format, string.find, bit.tohex, math.floor, tostring
local start_time = ngx.req.start_time
local id_prefix, id_count
local function new_prefix()
  if not id_prefix then
    local f = assert(io.open("/dev/urandom", "rb"))
    local b = f:read(6)
    f:close()
    local seed = 0
    for i = 1, 6 do seed = seed * 256 + b:byte(i) end
    math.randomseed(seed)
  end
  id_prefix = format("%08x-%04x-4%03x-%04x-%04x", random(0, 0xffffffff), random(0, 0xffff), random(0, 0xfff), random(0, 0x3fff) + 0x8000, random(0, 0xffff))
  id_count = 0
end
function M.request_id()
  local r = get_request()
  set_var(r, "slipway_request_start", tostr(floor(start_time() * 1000)))
  local p, n = get_var(r, "http_x_request_id")
  if p and n >= 20 and n <= 200 then
    local given = ffi.string(p, n)
    if not find(given, "[^%w_+=/@.-]") then return given end
  end
  if not id_prefix or id_count >= 0xffffffff then new_prefix() end
  id_count = id_count + 1
  return id_prefix .. tohex(id_count, 8)
end

-- The control socket: PUT /routes or /certificates (a whole table; ?prune=1 to forget what it does
-- not hold).
local tables = { routes = { dict, "route table" }, certificates = { certificates, "certificate table" } }
function M.put(kind)
  local into, what = tables[kind][1], tables[kind][2]
  ngx.req.read_body()
  local body = ngx.req.get_body_data()
  if not body and ngx.req.get_body_file() then
    ngx.status = 413
    ngx.say("the ", what, " did not fit in the control server's body buffer")
    return
  end
  local failed = apply(into, body or "", ngx.var.arg_prune == "1")
  if failed then
    ngx.status = 507
    ngx.say("the ", what, " does not fit in nginx's dictionary (", failed, ")")
    return
  end
  ngx.say("ok")
end

return M
`;
