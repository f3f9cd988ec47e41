/**
 * A fleet push's steps as events (commit, confirm, rollback, push-failed, each marked with the
 * push's id) and the fleet's last known configs, whichever agent runs the push — the one whose
 * request started it or the one that carried it on. Steps are recorded in the order they happen,
 * and `flushed()` resolves once every step so far is in the store.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { FleetStep } from '../provision/fleet-push.js';
import type { ApiContext } from './context.js';

/** Where a push's own events go: a subject no appliance name can be (":" is not allowed in one). */
export const fleetPushSubject = (id: number): string => `fleet-push:${id}`;
export const FLEET_PUSH_EVENT_KIND = 'fleet-push';

export interface StepRecorder {
  record(step: FleetStep, at: number): void;
  flushed(): Promise<void>;
}

export function stepRecorder(ctx: ApiContext, log: FastifyBaseLogger, push: { id: number; by: string | null; confirmTimeoutMs: number }): StepRecorder {
  const { id: fleetPush, by, confirmTimeoutMs } = push;
  const write = async (step: FleetStep, at: number): Promise<void> => {
    const appliance = step.appliance;
    if (step.step === 'pushed') {
      ctx.fleet.noteConfig(appliance, step.after, Math.ceil(confirmTimeoutMs / 1000));
      await ctx.recordEvent({
        ts: at,
        appliance,
        kind: 'commit',
        detail: { before: step.before, after: step.after, confirmTimeoutMs, canary: step.canary, by, fleetPush },
      });
    } else if (step.step === 'confirmed') {
      ctx.fleet.noteConfig(appliance, step.configId, null);
      await ctx.recordEvent({ ts: at, appliance, kind: 'confirm', detail: { configId: step.configId, by, fleetPush } });
    } else if (step.step === 'rolled back') {
      ctx.fleet.noteConfig(appliance, step.after, null);
      await ctx.recordEvent({ ts: at, appliance, kind: 'rollback', detail: { before: step.before, after: step.after, steps: 1, by, fleetPush } });
    } else if (step.step === 'failed') {
      await ctx.recordEvent({ ts: at, appliance, kind: 'push-failed', detail: { error: step.error, by, fleetPush } });
    }
  };
  let recorded = Promise.resolve();
  return {
    record(step, at) {
      recorded = recorded.then(() => write(step, at)).catch((err: unknown) => log.warn({ err, step }, 'recording a fleet push step failed'));
    },
    flushed: () => recorded,
  };
}
