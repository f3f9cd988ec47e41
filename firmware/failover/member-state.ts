/**
 * The states of a failover group member and their wire codes. `active` serves the group's
 * virtual services; `standby` holds the same config and is ready to take over; `offline` was
 * forced out by an operator and takes over nothing until told to come back online.
 */
export type MemberState = 'active' | 'standby' | 'offline';

export const STATE_CODE: Record<MemberState, number> = { active: 1, standby: 2, offline: 3 };
export const STATE_BY_CODE: Readonly<Record<number, MemberState>> = { 1: 'active', 2: 'standby', 3: 'offline' };
