// Real pusher-js with its WebSocket replaced by an in-memory Pusher-protocol server: the client's
// channel objects, auth, client events and reconnects are pusher-js's own; only the wire is stubbed.
import Pusher from "pusher-js";
import { afterEach } from "vitest";

type Frame = { event: string; channel?: string; data?: unknown; user_id?: string };

const hubs = new Map<string, FakePusherServer>();
let nextHub = 1;
const clients: Pusher[] = [];

class FakeSocket {
  onopen?: () => void;
  onmessage?: (message: { data: string }) => void;
  onclose?: (event: { code: number; reason: string; wasClean: boolean }) => void;
  onerror?: (error: unknown) => void;
  readonly hub: FakePusherServer;
  readonly channels = new Set<string>();
  socketId: string;
  userId?: string;
  userName?: string;
  open = true;

  constructor(url: string) {
    this.hub = hubs.get(new URL(url).hostname)!;
    this.socketId = `${this.hub.sockets.length + 1}.${Math.floor(Math.random() * 1e6)}`;
    this.hub.sockets.push(this);
    setTimeout(() => {
      this.onopen?.();
      this.deliver({
        event: "pusher:connection_established",
        data: JSON.stringify({ socket_id: this.socketId, activity_timeout: 120 }),
      });
    }, 0);
  }

  send(text: string): void {
    this.hub.receive(this, JSON.parse(text) as Frame);
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    setTimeout(() => this.onclose?.({ code: 1000, reason: "closed", wasClean: true }), 0);
  }

  deliver(frame: Frame): void {
    if (!this.open) return;
    const data = typeof frame.data === "string" ? frame.data : JSON.stringify(frame.data ?? {});
    this.onmessage?.({ data: JSON.stringify({ ...frame, data }) });
  }
}

(Pusher as unknown as { Runtime: { getWebSocketAPI(): unknown } }).Runtime.getWebSocketAPI = () => FakeSocket;

export interface FakeUser {
  id: string;
  name: string;
}

/** One app on the fake server: answers subscribe, relays client events, and lets a test emit events. */
export class FakePusherServer {
  readonly host = `hub-${nextHub++}`;
  readonly sockets: FakeSocket[] = [];
  readonly received: Frame[] = [];
  /** Channel auth calls still to fail (as a 5xx from the auth endpoint would). */
  authFailures = 0;
  authStatus: number | undefined = 503;
  authCalls = 0;
  clientEvents = true;
  /** Members already on presence channels, besides the subscriber. */
  presenceMembers: FakeUser[] = [];

  constructor() {
    hubs.set(this.host, this);
  }

  /** A pusher-js client for `user`, connected to this server. */
  async client(user: FakeUser): Promise<Pusher> {
    const pusher = new Pusher("app-key", {
      cluster: "local",
      wsHost: this.host,
      wsPort: 80,
      forceTLS: false,
      enabledTransports: ["ws"],
      channelAuthorization: {
        endpoint: "/unused",
        transport: "ajax",
        customHandler: ({ channelName }, callback) => {
          this.authCalls++;
          setTimeout(() => {
            if (this.authFailures > 0) {
              this.authFailures--;
              const error = Object.assign(new Error(`auth failed (${this.authStatus})`), { status: this.authStatus });
              return callback(error, null);
            }
            const presence = channelName.startsWith("presence-");
            callback(null, {
              auth: "app-key:signature",
              channel_data: presence ? JSON.stringify({ user_id: user.id, user_info: { name: user.name } }) : undefined,
            } as { auth: string; channel_data?: string });
          }, 0);
        },
      },
    });
    clients.push(pusher);
    await until(() => pusher.connection.state === "connected");
    return pusher;
  }

  receive(socket: FakeSocket, frame: Frame): void {
    this.received.push(frame);
    const data = (typeof frame.data === "string" ? JSON.parse(frame.data) : frame.data) as Record<string, unknown>;
    if (frame.event === "pusher:subscribe") {
      const channel = String(data.channel);
      socket.channels.add(channel);
      let payload: unknown = {};
      if (channel.startsWith("presence-")) {
        const me = JSON.parse(String(data.channel_data)) as { user_id: string; user_info: { name: string } };
        socket.userId = me.user_id;
        socket.userName = me.user_info.name;
        const present = this.sockets
          .filter((s) => s !== socket && s.open && s.channels.has(channel) && s.userId)
          .map((s) => ({ id: s.userId!, name: s.userName ?? "" }));
        for (const other of this.sockets.filter((s) => s !== socket && s.open && s.channels.has(channel))) {
          const added = { event: "pusher_internal:member_added", channel, data: { user_id: me.user_id, user_info: { name: me.user_info.name } } };
          // After any subscription_succeeded still on its way to that socket, as on a real server.
          setTimeout(() => other.deliver(added), 0);
        }
        const members = [...this.presenceMembers, ...present, { id: me.user_id, name: me.user_info.name }];
        payload = {
          presence: {
            ids: members.map((m) => m.id),
            hash: Object.fromEntries(members.map((m) => [m.id, { name: m.name }])),
            count: members.length,
          },
        };
      }
      setTimeout(() => socket.deliver({ event: "pusher_internal:subscription_succeeded", channel, data: payload }), 0);
    } else if (frame.event === "pusher:unsubscribe") {
      socket.channels.delete(String(data.channel));
    } else if (frame.event.startsWith("client-")) {
      if (!this.clientEvents) {
        socket.deliver({ event: "pusher:error", data: { code: 4301, message: "Client events are not enabled for this app" } });
        return;
      }
      // Pusher stamps the sender on presence channels; the payload's own claims are whatever the sender wrote.
      const userId = frame.channel?.startsWith("presence-") ? socket.userId : undefined;
      for (const other of this.sockets) {
        if (other !== socket && other.channels.has(frame.channel!)) other.deliver({ ...frame, user_id: userId });
      }
    }
  }

  /** Sends an event to every socket subscribed to the channel, as the HTTP API's trigger would. */
  emit(channel: string, event: string, data: unknown, exceptSocketId?: string): void {
    for (const socket of this.sockets) {
      if (socket.channels.has(channel) && socket.socketId !== exceptSocketId) socket.deliver({ event, channel, data });
    }
  }

  subscribed(channel: string): number {
    return this.sockets.filter((s) => s.open && s.channels.has(channel)).length;
  }

  /** Drops every connection, as a network loss would; pusher-js reconnects on its own. */
  dropAll(): void {
    for (const socket of this.sockets) {
      if (!socket.open) continue;
      socket.open = false;
      socket.onclose?.({ code: 4200, reason: "dropped", wasClean: false });
    }
  }

}

export async function until(check: () => boolean, rounds = 200): Promise<void> {
  for (let i = 0; i < rounds && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 1));
  if (!check()) throw new Error("condition not met in time");
}

afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
});
