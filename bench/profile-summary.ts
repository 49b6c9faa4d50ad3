/**
 * Where the time went in a `.cpuprofile` (from `bun run bench --cpu-prof`): the functions with the
 * most self time, and the inclusive time per source file / package.
 *   bun bench/profile-summary.ts bench/results/<run>-logs/CPU.….cpuprofile [--top 25]
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file] = process.argv.slice(2).filter((a) => !a.startsWith("--"));
if (!file) {
  process.stderr.write("usage: bun bench/profile-summary.ts <file.cpuprofile> [--top 25]\n");
  process.exit(2);
}
const topAt = process.argv.indexOf("--top");
const top = topAt > 0 ? Number(process.argv[topAt + 1]) : 25;
const profile = (await Bun.file(file).json()) as CpuProfile;
const root = `${process.cwd()}/`;

const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parents = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);

const selfByNode = new Map<number, number>();
profile.samples.forEach((id, i) => {
  selfByNode.set(id, (selfByNode.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});

function shortPath(url: string): string {
  return url
    .replace(/^file:\/\//, "")
    .replace(root, "")
    .replace(/^.*node_modules\//, "");
}

/** A source file, or a package for anything under node_modules. */
function place(url: string): string {
  return /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? shortPath(url);
}

const selfByFunction = new Map<string, number>();
const inclusiveByPlace = new Map<string, number>();
let total = 0;
for (const [id, time] of selfByNode) {
  const node = nodes.get(id);
  if (!node) continue;
  total += time;
  const { functionName, url, lineNumber } = node.callFrame;
  const key = `${functionName || "(anonymous)"} ${url ? `${shortPath(url)}:${lineNumber + 1}` : "(native)"}`;
  selfByFunction.set(key, (selfByFunction.get(key) ?? 0) + time);
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) {
    const url = nodes.get(at)?.callFrame.url;
    if (!url) continue;
    const where = place(url);
    if (seen.has(where)) continue;
    seen.add(where);
    inclusiveByPlace.set(where, (inclusiveByPlace.get(where) ?? 0) + time);
  }
}

const percent = (time: number): string => `${((time / total) * 100).toFixed(1).padStart(5)} %`;
const print = (title: string, entries: Map<string, number>): void => {
  process.stdout.write(`\n${title}\n`);
  for (const [name, time] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`${percent(time)}  ${name}\n`);
  }
};
process.stdout.write(`${(total / 1e6).toFixed(1)} s of samples\n`);
print("self time by function", selfByFunction);
print("inclusive time by file or package", inclusiveByPlace);
