// Measures the browser bundle: minified and gzipped bytes, what each package
// contributes, for the single file and for the split build a bundler produces.
// Usage: node scripts/size.mjs   (from packages/client)
import { createRequire } from 'node:module'
import { gzipSync } from 'node:zlib'
import { fileURLToPath } from 'node:url'

const here = fileURLToPath(new URL('..', import.meta.url))
const esbuild = createRequire(createRequire(import.meta.url).resolve('tsup'))('esbuild')

const kb = (n) => `${(n / 1024).toFixed(2)} KB`

async function measure(label, { splitting = false, entry = 'src/index.ts', plugins = [] } = {}) {
  const result = await esbuild.build({
    absWorkingDir: here,
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    splitting,
    outdir: 'out',
    write: false,
    metafile: true,
    tsconfig: 'tsconfig.json',
    logLevel: 'silent',
    plugins,
  })
  const files = result.outputFiles.filter((f) => f.path.endsWith('.js'))
  const entryFile = files.find((f) => result.metafile.outputs[f.path.slice(here.length)]?.entryPoint) ?? files[0]
  const total = files.reduce((n, f) => n + f.contents.length, 0)
  const totalGz = files.reduce((n, f) => n + gzipSync(f.contents, { level: 9 }).length, 0)
  console.log(`\n${label}`)
  console.log(`  all files: ${kb(total)} min, ${kb(totalGz)} min+gz (${files.length} file${files.length > 1 ? 's' : ''})`)
  if (splitting) {
    const ep = result.metafile.outputs[entryFile.path.slice(here.length)]
    const eager = [entryFile.path.slice(here.length), ...ep.imports.filter((i) => i.kind === 'import-statement').map((i) => i.path)]
    const bytes = files.filter((f) => eager.includes(f.path.slice(here.length)))
    const eagerGz = bytes.reduce((n, f) => n + gzipSync(f.contents, { level: 9 }).length, 0)
    console.log(`  loaded eagerly (entry + static imports): ${kb(bytes.reduce((n, f) => n + f.contents.length, 0))} min, ${kb(eagerGz)} min+gz`)
  }
  // Minified bytes per package (esbuild's bytesInOutput, summed over outputs).
  const byPackage = {}
  for (const output of Object.values(result.metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const m = /.*node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input)
      const pkg = m ? m[1] : /(^|\/)core\/src\//.test(input) ? '@sealwire/core' : '@sealwire/client'
      byPackage[pkg] = (byPackage[pkg] ?? 0) + bytesInOutput
    }
  }
  for (const [pkg, n] of Object.entries(byPackage).sort((a, b) => b[1] - a[1])) console.log(`    ${pkg.padEnd(20)} ${kb(n)} min`)
}

await measure('single file (dist/browser/sealwire-client.min.js)')
await measure('split build (what a bundler ships; noble in a lazy chunk)', { splitting: true })
