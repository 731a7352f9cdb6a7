/** esbuild plugin: see zod-namespace-imports.mjs. */
export declare const zodNamespaceImports: {
  name: string
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- esbuild's PluginBuild; esbuild's types are tsup's, not ours
  setup(build: any): void
}
