// `npm run bench:bundle`: the benchmark as one folder that runs on a Linux x64 machine with a Vulkan driver and no
// Node or npm: the benchmark in one ESM file, Dawn's native module, this Node binary (compressed), the Vulkan
// loader's .deb for machines without one, and run.sh (scripts/bundle-run.sh) to tie them together.
// Plain Node, no dependency beyond the repository's own vite.
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The folder's size limit: it has to fit where the benchmark is carried to (an upload, a container layer). */
export const MAX_BYTES = 64 * 1000 * 1000;

const USAGE = `usage: npm run bench:bundle [-- options]
  --out DIR              the folder to write (default dist/bench-bundle; replaced if it holds an earlier bundle)
  --no-vulkan-deb        leave out the Vulkan loader's package (the target machine then needs libvulkan.so.1)
  --vulkan-deb=FILE      use this libvulkan1 .deb instead of \`apt-get download libvulkan1\`
  --compress=xz|gzip     how the Node binary and Dawn are packed (default xz when installed, else gzip)
  --level=N              the compressor's level (default 6)`;

class BundleError extends Error {}

/** Parse the command line; throws BundleError naming the bad option and what it expects. */
export function parseArgs(argv) {
  const o = { out: join(root, 'dist', 'bench-bundle'), vulkanDeb: true, debFile: undefined, compress: undefined, level: 6, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [name, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new BundleError(`${name}: expected a value`);
      return v;
    };
    if (name === '--help' || name === '-h') o.help = true;
    else if (name === '--out') o.out = resolve(value());
    else if (name === '--no-vulkan-deb') o.vulkanDeb = false;
    else if (name === '--vulkan-deb') o.debFile = resolve(value());
    else if (name === '--compress') {
      o.compress = value();
      if (!['xz', 'gzip'].includes(o.compress)) throw new BundleError(`--compress=${o.compress}: expected xz or gzip`);
    } else if (name === '--level') {
      o.level = Number(value());
      if (!Number.isInteger(o.level) || o.level < 0 || o.level > 9) throw new BundleError(`--level: expected a whole number from 0 to 9`);
    } else throw new BundleError(`unknown option ${a}: expected --out DIR, --no-vulkan-deb, --vulkan-deb=FILE, --compress=xz|gzip, --level=N`);
  }
  return o;
}

const has = (cmd) => spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
const mb = (n) => `${(n / 1e6).toFixed(1)} MB`;

/** Every file under `dir` with its size, largest first. */
function files(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...files(p));
    else out.push({ path: p, bytes: statSync(p).size });
  }
  return out.sort((a, b) => b.bytes - a.bytes);
}

/** The folder's size in bytes; throws BundleError listing the largest files when it is over `max`. */
export function checkSize(dir, max = MAX_BYTES) {
  const all = files(dir);
  const total = all.reduce((s, f) => s + f.bytes, 0);
  if (total > max) {
    const top = all.slice(0, 4).map((f) => `${f.path.slice(dir.length + 1)} ${mb(f.bytes)}`);
    throw new BundleError(`${dir} is ${mb(total)}, over the ${mb(max)} limit (largest: ${top.join(', ')}); try --compress=xz or a higher --level`);
  }
  return total;
}

/**
 * `src` compressed into `dst`, reusing an earlier result kept in node_modules/.cache while the source file and the
 * compression settings are unchanged (xz of the Node binary takes about a minute on two cores).
 */
function compress(src, dst, how) {
  const st = statSync(src);
  const ext = how.tool === 'xz' ? 'xz' : 'gz';
  const cacheDir = join(root, 'node_modules', '.cache', 'descent-bench-bundle');
  const name = `${basename(src)}-${st.size}-${Math.round(st.mtimeMs)}-${how.tool}${how.level}.${ext}`;
  const cached = join(cacheDir, name);
  if (!existsSync(cached)) {
    mkdirSync(cacheDir, { recursive: true });
    // One kept per source file name: an older Node or Dawn's entry goes.
    for (const f of readdirSync(cacheDir)) if (f.startsWith(`${basename(src)}-`) && f !== name) rmSync(join(cacheDir, f), { force: true });
    const t0 = performance.now();
    const fd = openSync(`${cached}.partial`, 'w');
    try {
      const args = how.tool === 'xz' ? [`-${how.level}`, '-T0', '-c', src] : [`-${how.level}`, '-n', '-c', src];
      execFileSync(how.tool, args, { stdio: ['ignore', fd, 'inherit'] });
    } finally {
      closeSync(fd);
    }
    renameSync(`${cached}.partial`, cached);
    console.log(`  compressed ${src} with ${how.tool} -${how.level} in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  } else console.log(`  ${src}: reusing its ${how.tool} -${how.level} copy from ${cacheDir}`);
  copyFileSync(cached, `${dst}.${ext}`);
}

/** The libvulkan1 .deb: the one given, else `apt-get download`, else apt's own cache; throws BundleError saying what to do. */
function vulkanDeb(o) {
  if (o.debFile) {
    if (!existsSync(o.debFile)) throw new BundleError(`--vulkan-deb=${o.debFile}: no such file`);
    return o.debFile;
  }
  const dir = mkdtempSync(join(tmpdir(), 'descent-vulkan-deb-'));
  const r = spawnSync('apt-get', ['download', 'libvulkan1'], { cwd: dir, encoding: 'utf8' });
  const got = readdirSync(dir).find((f) => /^libvulkan1_.*\.deb$/.test(f));
  if (r.status === 0 && got) return join(dir, got);
  const archives = '/var/cache/apt/archives';
  const cached = existsSync(archives) ? readdirSync(archives).find((f) => /^libvulkan1_.*_amd64\.deb$/.test(f)) : undefined;
  const why = r.error ? r.error.message : (r.stderr || r.stdout || `exit status ${r.status}`).trim().split('\n').slice(-2).join(' ');
  if (cached) {
    console.log(`  apt-get download libvulkan1 failed (${why}); using ${join(archives, cached)} from apt's cache`);
    return join(archives, cached);
  }
  throw new BundleError(
    `cannot get the Vulkan loader's package: \`apt-get download libvulkan1\` failed (${why}), and apt's cache has none. ` +
      'The folder carries it for target machines without libvulkan.so.1. Build on a Debian or Ubuntu machine with network access, ' +
      'pass a downloaded one with --vulkan-deb=FILE, or leave it out with --no-vulkan-deb (the target then needs libvulkan1 installed).',
  );
}

/** Build the folder; returns its path and size. */
export function buildBundle(o) {
  if (process.platform !== 'linux' || process.arch !== 'x64')
    throw new BundleError(`the bundle is for Linux x64 (Dawn's linux-x64 build); this is ${process.platform}-${process.arch}`);
  const dawnDir = join(root, 'node_modules', 'webgpu');
  const dawnNode = join(dawnDir, 'dist', 'linux-x64', 'dawn.node');
  if (!existsSync(dawnNode)) throw new BundleError(`${dawnNode} is missing: run \`npm ci\` first`);
  // Replacing the output folder is safe only when it is ours: an empty or missing folder, or an earlier bundle.
  if (existsSync(o.out) && readdirSync(o.out).length > 0 && !existsSync(join(o.out, 'run.sh'))) {
    throw new BundleError(`--out ${o.out} exists and is not an earlier bundle (no run.sh in it): choose an empty or new folder`);
  }
  const how = { tool: o.compress ?? (has('xz') ? 'xz' : 'gzip'), level: o.level };
  if (!has(how.tool)) throw new BundleError(`--compress=${how.tool}: ${how.tool} is not installed`);
  const stage = `${o.out}.partial`;
  rmSync(stage, { recursive: true, force: true });
  const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  console.log(`bundling the benchmark (vite build --mode bench-bundle)`);
  try {
    execFileSync(process.execPath, [vite, 'build', '--mode', 'bench-bundle', '--logLevel', 'warn', '--outDir', stage], { cwd: root, stdio: 'inherit' });
  } catch {
    throw new BundleError('vite could not bundle the benchmark (its messages are above)');
  }
  if (!existsSync(join(stage, 'bench.mjs'))) throw new BundleError(`vite wrote no ${join(stage, 'bench.mjs')}`);
  mkdirSync(join(stage, 'dawn'));
  // The package's own entry (it installs Dawn's globals and patches GPUDevice.destroy); it loads
  // dist/linux-x64/dawn.node beside itself, where run.sh unpacks it.
  copyFileSync(join(dawnDir, 'index.js'), join(stage, 'dawn', 'webgpu.mjs'));
  copyFileSync(join(dawnDir, 'LICENSE.md'), join(stage, 'dawn', 'LICENSE.md'));
  console.log(`packing Dawn and Node ${process.version} (${process.execPath})`);
  compress(dawnNode, join(stage, 'dawn', 'dawn.node'), how);
  compress(process.execPath, join(stage, 'node'), how);
  if (o.vulkanDeb) {
    const deb = vulkanDeb(o);
    mkdirSync(join(stage, 'vulkan'));
    copyFileSync(deb, join(stage, 'vulkan', basename(deb)));
    console.log(`  Vulkan loader package: ${basename(deb)}`);
  }
  copyFileSync(join(root, 'scripts', 'bundle-run.sh'), join(stage, 'run.sh'));
  execFileSync('chmod', ['755', join(stage, 'run.sh')]);
  writeFileSync(
    join(stage, 'README.txt'),
    `Descent's benchmark (Descent, TensorFlow.js, jax-js on WebGPU through Dawn and Vulkan), Node ${process.version} packed with ${how.tool}; Linux x64, needs no Node or npm.\n` +
      `Run: ./run.sh [bench args], e.g. ./run.sh --suite=matmul,train --sizes=256,1024 (./run.sh --help lists them); tables go to the terminal, every figure to ./bench-results.json.\n` +
      `VK_ICD_FILENAMES=/path/to/icd.json picks the Vulkan driver (default: NVIDIA's container ICD when present, else the Vulkan loader's own choice).\n`,
  );
  const bytes = checkSize(stage);
  rmSync(o.out, { recursive: true, force: true });
  renameSync(stage, o.out);
  return { dir: o.out, bytes, compression: how.tool };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    const o = parseArgs(process.argv.slice(2));
    if (o.help) {
      console.log(USAGE);
      process.exit(0);
    }
    const t0 = performance.now();
    const r = buildBundle(o);
    console.log(`wrote ${r.dir}: ${mb(r.bytes)} (limit ${mb(MAX_BYTES)}), in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    console.log(`copy it to the GPU machine and run ./run.sh there (see its README.txt)`);
  } catch (e) {
    if (!(e instanceof BundleError)) throw e;
    console.error(`bench:bundle: ${e.message}\n\n${USAGE}`);
    process.exit(1);
  }
}
