// The slice of pusher-js the sync core uses; pusher-js's Pusher satisfies it structurally.

/** pusher-js passes client events on presence channels a second argument naming the sender. */
export type EventHandler = (data: any, metadata?: { user_id?: string }) => void;

export interface PresenceMember {
  id: string;
  info: unknown;
}

export interface PresenceMembers {
  each(callback: (member: PresenceMember) => void): void;
  get(id: string): PresenceMember | null;
}

export interface ChannelLike {
  bind(event: string, handler: EventHandler): unknown;
  unbind(event?: string, handler?: EventHandler): unknown;
  trigger(event: string, data: unknown): boolean;
  /** pusher-js: true once `pusher:subscription_succeeded` has fired (until a disconnect). */
  subscribed?: boolean;
  /** pusher-js presence channels: the current member list. */
  members?: PresenceMembers;
}

export interface ConnectionLike {
  socket_id?: string;
  state?: string;
  bind?(event: string, handler: EventHandler): unknown;
  unbind?(event?: string, handler?: EventHandler): unknown;
}

export interface PusherLike {
  subscribe(channelName: string): ChannelLike;
  unsubscribe(channelName: string): void;
  connection: ConnectionLike;
  /** Connection-wide events such as `pusher:error` (how a refused client event comes back). */
  bind?(event: string, handler: EventHandler): unknown;
  unbind?(event?: string, handler?: EventHandler): unknown;
}

/**
 * Where a sync gets its connection when it is not handed one: resolved when the sync starts (so
 * that rendering never builds it), and followed when the page swaps its client.
 */
export interface PusherSource {
  get(): PusherLike | Promise<PusherLike>;
  onChange?(listener: (client: PusherLike) => void): () => void;
}

export function isPusherSource(value: PusherLike | PusherSource): value is PusherSource {
  return typeof (value as PusherSource).get === "function" && typeof (value as PusherLike).subscribe !== "function";
}

const SOCKET_ID = /^\d+\.\d+$/;

/** The connection's socket id when it is a valid one, so the server can leave this socket out of the broadcast. */
export function currentSocketId(pusher: PusherLike): string | undefined {
  const id = pusher.connection.socket_id;
  return id && SOCKET_ID.test(id) ? id : undefined;
}

// pusher-js keeps ONE channel object per name, and `unsubscribe(name)` removes it for everyone.
// So every user of a channel goes through these counts: the last one out unsubscribes.
const users = new WeakMap<PusherLike, Map<string, number>>();

/** Subscribes (or joins an existing subscription); pair every call with one releaseChannel. */
export function acquireChannel(pusher: PusherLike, name: string): ChannelLike {
  let counts = users.get(pusher);
  if (!counts) users.set(pusher, (counts = new Map()));
  counts.set(name, (counts.get(name) ?? 0) + 1);
  return pusher.subscribe(name);
}

/** Unsubscribes only when no other user of the channel is left. Unbind your handlers first. */
export function releaseChannel(pusher: PusherLike, name: string): void {
  const counts = users.get(pusher);
  const count = counts?.get(name) ?? 0;
  if (count > 1) {
    counts!.set(name, count - 1);
    return;
  }
  counts?.delete(name);
  pusher.unsubscribe(name);
}

/** How many users hold the channel (for tests and diagnostics). */
export function channelUsers(pusher: PusherLike, name: string): number {
  return users.get(pusher)?.get(name) ?? 0;
}
