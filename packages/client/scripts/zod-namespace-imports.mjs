// esbuild plugin for the browser bundle: rewrites `import { z } from 'zod'` in
// @sealwire/core's sources to `import * as z from 'zod'`.
//
// Why: zod's entry re-exports its API as the namespace `z`. Rollup and webpack
// tree-shake member accesses on it; esbuild (which tsup uses) cannot, and keeps
// the whole namespace, every locale included: 443 KB minified for a handful of
// schemas. A namespace import of the same module is equivalent (same functions,
// `z.object` is `z.object`) and esbuild shakes it. Only core's files are
// touched; the client itself imports `zod/mini`. Once core imports zod this way
// (or uses zod/mini), this plugin is a no-op and can go.
import { readFile } from 'node:fs/promises'

const CORE_FILE = /[\\/](?:packages[\\/]core[\\/]src|@sealwire[\\/]core[\\/]dist)[\\/][^\\/]+(?:[\\/][^\\/]+)*\.(?:ts|js)$/
const NAMED_Z_IMPORT = /import\s*\{\s*z\s*\}\s*from\s*(['"])zod\1/g

export const zodNamespaceImports = {
  name: 'zod-namespace-imports',
  setup(build) {
    build.onLoad({ filter: CORE_FILE }, async (args) => {
      const source = await readFile(args.path, 'utf8')
      if (!NAMED_Z_IMPORT.test(source)) return undefined
      NAMED_Z_IMPORT.lastIndex = 0
      return { contents: source.replace(NAMED_Z_IMPORT, "import * as z from 'zod'"), loader: args.path.endsWith('.ts') ? 'ts' : 'js' }
    })
  },
}
