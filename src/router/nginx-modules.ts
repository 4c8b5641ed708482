// nginx's lua module, which the nginx data plane's route table needs (balancer-lua.ts): Debian's
// libnginx-mod-http-lua, with the ndk module it loads after. Looked up where distributions put
// nginx's dynamic modules.
import fs from 'node:fs';
import path from 'node:path';

const DIRS = ['/usr/lib/nginx/modules', '/usr/lib64/nginx/modules', '/usr/share/nginx/modules'];
const FILES = ['ndk_http_module.so', 'ngx_http_lua_module.so'];

/** The modules' absolute paths in load order, or undefined where they are not installed. */
export function findLuaModules(dirs = DIRS): string[] | undefined {
  for (const dir of dirs) {
    const files = FILES.map((f) => path.join(dir, f));
    if (files.every((f) => fs.existsSync(f))) return files;
  }
  return undefined;
}

export const LUA_PACKAGE = 'libnginx-mod-http-lua';
export const MODULE_DIRS = DIRS;
