// The package's "main" is CommonJS under "type": "module", which plain Node cannot load; its ES module
// build is imported by path instead, with the package's own types.
declare module 'wgsl_reflect/wgsl_reflect.module.js' {
  export * from 'wgsl_reflect';
}
