// The app model with its rooms (client/src/app.ts), as the rooms views see it.
import type { App } from '../app.js';
import type { Rooms } from './rooms.js';

export type AppWithRooms = App & { rooms: Rooms };
