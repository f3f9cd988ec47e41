/**
 * Loaded into a process under measurement with `node --expose-gc --import …/memory-probe.js`:
 * samples its memory from the inside every 250 ms and, as it exits, writes to the file named
 * by FULCRUM_MEMORY_PROBE a JSON summary — peak RSS, peak heap used, the live heap (heap used
 * right after each full collection V8 chose to run, and after one forced FULCRUM_MEMORY_PROBE_GC_AT
 * ms after start, while the work is still under way) and the CPU the process spent. Heap and
 * RSS are kept apart: RSS also counts what V8 has not given back and what lives outside its
 * heap (SQLite's page cache, sockets, code).
 *
 * With FULCRUM_MEMORY_PROBE_SNAPSHOT=FILE, a heap snapshot of that moment is written there too
 * (for bench/lib/heap-summary.ts).
 *
 * Invariant: the probe only reads, but for that one collection; the peaks are reported up to it
 * (the process left to itself) as well as over the whole run.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { writeHeapSnapshot } from 'node:v8';

const out = process.env.FULCRUM_MEMORY_PROBE;
if (out) {
  const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
  let peakRss = 0;
  let peakHeap = 0;
  let peakExternal = 0;
  let peakHeapTotal = 0;
  let liveAfterMajor = 0;
  let majors = 0;
  let forced: Record<string, number> | null = null;
  const sample = () => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
    peakExternal = Math.max(peakExternal, m.external);
    peakHeapTotal = Math.max(peakHeapTotal, m.heapTotal);
  };
  setInterval(sample, 250).unref();
  const gc = (globalThis as { gc?: () => void }).gc;
  const gcAt = Number(process.env.FULCRUM_MEMORY_PROBE_GC_AT ?? 0);
  if (gc && gcAt > 0) {
    setTimeout(() => {
      sample();
      const before = peakRss;
      gc();
      const m = process.memoryUsage();
      // RSS split as the kernel counts it: anonymous (heaps: V8's and malloc's) and file-backed (code, mapped files).
      const status = readFileSync('/proc/self/status', 'utf8');
      const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
      forced = {
        heapUsedMb: mb(m.heapUsed),
        heapTotalMb: mb(m.heapTotal),
        rssMb: mb(m.rss),
        rssAnonMb: mb(kb('RssAnon') * 1024),
        rssFileMb: mb(kb('RssFile') * 1024),
        externalMb: mb(m.external),
        peakRssBeforeMb: mb(before),
      };
      const snapshot = process.env.FULCRUM_MEMORY_PROBE_SNAPSHOT;
      if (snapshot) writeHeapSnapshot(snapshot);
    }, gcAt).unref();
  }
  // Heap used just after a full (mark-compact) collection is the live heap at that moment.
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if ((e as unknown as { detail?: { kind?: number } }).detail?.kind !== constants.NODE_PERFORMANCE_GC_MAJOR) continue;
      majors++;
      liveAfterMajor = Math.max(liveAfterMajor, process.memoryUsage().heapUsed);
    }
  }).observe({ entryTypes: ['gc'] });
  process.once('exit', () => {
    sample();
    const end = process.memoryUsage();
    const cpu = process.cpuUsage();
    writeFileSync(
      out,
      JSON.stringify({
        peakRssMb: mb(peakRss),
        peakHeapUsedMb: mb(peakHeap),
        peakExternalMb: mb(peakExternal),
        peakHeapTotalMb: mb(peakHeapTotal),
        maxLiveAfterMajorGcMb: mb(liveAfterMajor),
        majorGcs: majors,
        forcedGc: forced,
        rssAtExitMb: mb(end.rss),
        cpuSeconds: Math.round((cpu.user + cpu.system) / 1e4) / 100,
      }),
    );
  });
}
