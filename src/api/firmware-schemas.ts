/** Request and response schemas of the firmware catalog and rollout routes. */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const Sha256Params = Type.Object({ sha256: Type.String({ pattern: '^[0-9a-f]{64}$', description: "the image's SHA-256, 64 lower-case hex digits" }) });
export type Sha256Params = Static<typeof Sha256Params>;

export const FirmwareImage = Type.Object({
  sha256: Type.String({ description: 'SHA-256 of the whole image file: its name in the catalog' }),
  version: Type.String(),
  securityCounter: Type.Integer(),
  size: Type.Integer({ description: 'bytes' }),
  keyId: Type.String({ description: "the signer's key id, 16 hex digits" }),
  added: Type.Integer({ description: 'ms since the epoch' }),
});

export const FirmwareList = Type.Object({ images: Type.Array(FirmwareImage) });

export const IdParams = Type.Object({ id: Type.String({ pattern: '^[1-9][0-9]{0,15}$', description: 'rollout id' }) });
export type IdParams = Static<typeof IdParams>;

export const RolloutListQuery = Type.Object(
  { limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$', description: 'at most this many, newest first (default 20, at most 1000)' })) },
  { additionalProperties: false },
);
export type RolloutListQuery = Static<typeof RolloutListQuery>;

const WaveStep = Type.Union([Type.Integer({ minimum: 1 }), Type.String({ minLength: 1, maxLength: 16 })], {
  description: 'a device count, or a share like "10%"',
});

export const NewRollout = Type.Object(
  {
    image: Type.String({ pattern: '^[0-9a-f]{64}$', description: 'SHA-256 of an image in the catalog (POST /firmware adds one)' }),
    targets: Type.Optional(
      Type.Union([Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1 }), Type.Literal('all')], {
        description: 'inventory names in the order the waves take them (the first is the canary), or "all" (the inventory by name; the default)',
      }),
    ),
    waves: Type.Optional(Type.Array(WaveStep, { minItems: 1, description: 'cumulative wave steps (default [1, "10%", "50%", "100%"])' })),
    maxFailures: Type.Optional(
      Type.Union([Type.Integer({ minimum: 0 }), Type.String({ minLength: 1, maxLength: 16 })], {
        description: 'failures tolerated: a count, or a share like "5%" (default 0)',
      }),
    ),
    deadline: Type.Optional(Type.String({ minLength: 1, maxLength: 32, description: "one appliance's upgrade may take this long (default 10m)" })),
    concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'appliances upgraded at once within a wave (default 8)' })),
  },
  { additionalProperties: false },
);
export type NewRollout = Static<typeof NewRollout>;

/** A resume's optional body: how many appliances its run upgrades at once (no body: the default). */
export const ResumeRollout = Type.Object(
  { concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'appliances upgraded at once within a wave (default 8)' })) },
  { additionalProperties: false },
);
export type ResumeRollout = Static<typeof ResumeRollout>;

const Counts = {
  pending: Type.Integer(),
  upgrading: Type.Integer(),
  succeeded: Type.Integer(),
  failed: Type.Integer(),
};

const RolloutFields = {
  id: Type.Integer(),
  image: Type.String(),
  version: Type.String(),
  created: Type.Integer(),
  updated: Type.Integer(),
  state: Type.String({ description: 'running, paused, halted, aborted or succeeded' }),
  reason: Nullable(Type.String({ description: 'why it halted, paused or was aborted' })),
  steps: Type.Array(Type.Union([Type.Integer(), Type.String()]), { description: 'the wave steps, normalized' }),
  maxFailures: Type.String(),
  allowedFailures: Type.Integer(),
  deadlineMs: Type.Integer(),
  runner: Nullable(Type.Object({ host: Type.String(), pid: Type.Integer(), heartbeat: Type.Integer() }, { description: 'the process running it, if any' })),
  totals: Type.Object({ devices: Type.Integer(), ...Counts }),
  waves: Type.Array(Type.Object({ wave: Type.Integer(), size: Type.Integer(), ...Counts })),
};

const Device = Type.Object({
  appliance: Type.String(),
  position: Type.Integer(),
  wave: Type.Integer(),
  state: Type.String({ description: 'pending, upgrading, succeeded or failed' }),
  started: Nullable(Type.Integer()),
  finished: Nullable(Type.Integer()),
  error: Nullable(Type.String()),
  version: Nullable(Type.String()),
});

export const RolloutStatusSchema = Type.Object({ ...RolloutFields, devices: Type.Array(Device) });

export const RolloutList = Type.Object({
  rollouts: Type.Array(
    Type.Object({
      ...RolloutFields,
      failed: Type.Array(Type.Object({ appliance: Type.String(), wave: Type.Integer(), error: Nullable(Type.String()) }), {
        description: 'the failed appliances with their errors',
      }),
    }),
  ),
});
