/**
 * `--remote-write URL`: the poller's points also go to a Prometheus remote-write endpoint.
 * `exportingMetrics` gives the store to hand the Monitor in place of the real one, and the
 * sender to stop (flushing what is queued) once the Monitor has stopped.
 */
import type { MetricStore } from '../../store/metric-store.js';
import { ExportingMetricStore } from './exporting-store.js';
import { RemoteWriteSender, type RemoteWriteOptions, type SenderLog } from './sender.js';

export { RemoteWriteSender, RemoteWriteUrlError, remoteWriteUrl, type SenderStats } from './sender.js';

export interface RemoteWrite {
  /** The store for the Monitor: writes land in `inner` and are then sent. */
  metrics: MetricStore;
  sender: RemoteWriteSender;
}

export function exportingMetrics(inner: MetricStore, options: RemoteWriteOptions & { log?: SenderLog }): RemoteWrite {
  const sender = new RemoteWriteSender(options);
  return { metrics: new ExportingMetricStore(inner, sender, options.log), sender };
}
