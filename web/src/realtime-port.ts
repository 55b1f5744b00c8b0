// The slice of pusher-js the sync core uses; pusher-js's Pusher satisfies it structurally.

export type EventHandler = (data: any) => void;

export interface ChannelLike {
  bind(event: string, handler: EventHandler): unknown;
  unbind(event?: string, handler?: EventHandler): unknown;
  trigger(event: string, data: unknown): boolean;
}

export interface PresenceMember {
  id: string;
  info: unknown;
}

export interface PusherLike {
  subscribe(channelName: string): ChannelLike;
  unsubscribe(channelName: string): void;
  connection: { socket_id?: string };
}

const SOCKET_ID = /^\d+\.\d+$/;

/** The connection's socket id when it is a valid one, so the server can leave this socket out of the broadcast. */
export function currentSocketId(pusher: PusherLike): string | undefined {
  const id = pusher.connection.socket_id;
  return id && SOCKET_ID.test(id) ? id : undefined;
}
