// The participant cap of one room's call: the service's (`call.maxParticipants`,
// `component.maxParticipants`), or the room owner's lower one from the room configuration form
// (config-form.ts, field CALL_MAX_FIELD). 0 means no limit.

/** The cap that applies: the lower of the two when both are set. */
export function callCap(service: number, room: number): number {
  if (room <= 0) return service;
  if (service <= 0) return room;
  return Math.min(service, room);
}
