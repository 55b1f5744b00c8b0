// One conversation's channels on one connection: shared subscriptions, their retries, presence and typing.
import type { Action, ConversationState } from "./message-store";
import {
  type ChannelLike,
  type EventHandler,
  type PresenceMember,
  type PusherLike,
  acquireChannel,
  currentSocketId,
  releaseChannel,
} from "./realtime-port";
import { CLIENT_EVENTS_REFUSED, DOWN, refusedClientEvents, subscriptionError, toMember } from "./sync-support";
import {
  type Member,
  type MessagesReadEvent,
  type NewMessageEvent,
  type ReactionUpdatedEvent,
  type TypingEvent,
  conversationChannel,
  presenceChannel,
  userChannel,
} from "./types";

/** What the link needs from its conversation sync. */
export interface LiveHost {
  readonly conversationId: number;
  readonly me: string;
  readonly presence: boolean;
  readonly typingTtlMs: number;
  readonly typingThrottleMs: number;
  /** Typing goes through POST /api/messages/typing only (a Pusher server that does not stamp client events). */
  readonly typingViaServer: boolean;
  state(): ConversationState;
  dispatch(action: Action): void;
  /** The conversation channel is subscribed (again): catch up. */
  live(): void;
  /** Events stopped arriving: poll history. */
  down(): void;
  newMessage(event: NewMessageEvent): void;
  later(ms: number, run: () => void): void;
  backoff(failures: number): number;
  now(): number;
  typingThroughServer(socketId: string | undefined): void;
}

type Target = ChannelLike | PusherLike | PusherLike["connection"];

export class LiveLink {
  private readonly bindings: Array<[Target, string, EventHandler]> = [];
  private readonly held: string[] = [];
  private readonly subscribeFailures = new Map<string, number>();
  private presenceChannel: ChannelLike | null = null;
  private lastTypingSent = -Infinity;
  private closed = false;

  constructor(
    readonly pusher: PusherLike,
    private readonly host: LiveHost,
  ) {
    const name = conversationChannel(host.conversationId);
    const channel = this.hold(name);
    this.on(channel, "pusher:subscription_succeeded", () => this.onLive(name));
    this.on(channel, "pusher:subscription_error", (e) => this.onSubscriptionError(name, e, false));
    this.on(channel, "new-message", (e: NewMessageEvent) => e && host.newMessage(e));
    this.on(channel, "messages-read", (e: MessagesReadEvent) => host.dispatch({ type: "read", userId: e.user_id, lastReadSeq: e.last_read_seq }));
    // In a group, a read receipt comes only to the author of the message read, on their own channel
    // (shared with the conversation list), naming its conversation.
    const mine = this.hold(userChannel(host.me));
    this.on(mine, "messages-read", (e: MessagesReadEvent & { conversation_id?: number }) => {
      if (e?.conversation_id === host.conversationId) host.dispatch({ type: "read", userId: e.user_id, lastReadSeq: e.last_read_seq });
    });
    this.on(channel, "reaction-updated", (e: ReactionUpdatedEvent) =>
      host.dispatch({ type: "reactions", messageId: e.message_id, reactions: e.reactions, version: e.version }),
    );
    // The server's event: its user_id is set by the server, so it can be trusted.
    this.on(channel, "typing", (e: TypingEvent) => e?.user_id && this.showTyping(String(e.user_id), e.name));
    this.on(pusher, "pusher:error", (e: { message?: string }) => this.onPusherError(e));
    this.on(pusher.connection, "state_change", (s: { previous?: string; current?: string }) => {
      // A lost connection goes connected -> connecting (-> unavailable); pusher-js resubscribes after.
      if (DOWN.has(s?.current ?? "") || (s?.current === "connecting" && s.previous === "connected")) this.offline();
    });
    if (host.presence) this.watchPresence();
    // Another view already holds this channel: no subscription_succeeded will come for us.
    if (channel.subscribed) this.onLive(name);
    else if (DOWN.has(pusher.connection.state ?? "")) this.offline();
  }

  /** Unbinds this link's handlers; a channel is unsubscribed only when no other view holds it. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const [target, event, handler] of this.bindings.splice(0)) target.unbind?.(event, handler);
    for (const name of this.held.splice(0)) releaseChannel(this.pusher, name);
    this.presenceChannel = null;
  }

  /**
   * A client event on the presence channel (where Pusher stamps the sender), or through the server
   * when client events are refused or the presence channel is not subscribed.
   */
  notifyTyping(): void {
    const now = this.host.now();
    if (this.closed || now - this.lastTypingSent < this.host.typingThrottleMs) return;
    this.lastTypingSent = now;
    const channel = this.presenceChannel;
    let sent = false;
    if (channel && channel.subscribed !== false && !this.host.typingViaServer && !refusedClientEvents.has(this.pusher)) {
      try {
        sent = channel.trigger("client-typing", {});
      } catch {
        sent = false;
      }
    }
    if (!sent) this.host.typingThroughServer(currentSocketId(this.pusher));
  }

  private hold(name: string): ChannelLike {
    this.held.push(name);
    return acquireChannel(this.pusher, name);
  }

  private on(target: Target, event: string, handler: EventHandler): void {
    if (!target.bind) return;
    target.bind(event, handler);
    this.bindings.push([target, event, handler]);
  }

  private onLive(name: string): void {
    this.subscribeFailures.delete(name);
    this.host.dispatch({ type: "live", live: true, error: null });
    this.host.live();
  }

  /** Live updates stopped (connection lost): the presence list is unknown, history gets polled. */
  private offline(): void {
    this.host.dispatch({ type: "live", live: false, error: this.host.state().liveError });
    this.host.dispatch({ type: "presence-unavailable" });
    this.host.down();
  }

  private onSubscriptionError(name: string, event: { status?: number } | undefined, presence: boolean): void {
    if (presence) this.host.dispatch({ type: "presence-unavailable" });
    else {
      this.host.dispatch({ type: "live", live: false, error: subscriptionError(event) });
      this.host.down();
    }
    // Not a member, or signed out: asking again will not help.
    if (event?.status === 401 || event?.status === 403) return;
    const failures = (this.subscribeFailures.get(name) ?? 0) + 1;
    this.subscribeFailures.set(name, failures);
    // pusher-js authorizes again when subscribe() is called for a channel whose subscription failed.
    this.host.later(this.host.backoff(failures), () => {
      if (!this.closed) this.pusher.subscribe(name);
    });
  }

  private showTyping(userId: string, fallbackName?: string | null): void {
    if (userId === this.host.me) return;
    const ttl = this.host.typingTtlMs;
    const name = this.memberName(userId) ?? fallbackName ?? userId;
    this.host.dispatch({ type: "typing", userId, name, until: this.host.now() + ttl });
    this.host.later(ttl + 10, () => this.host.dispatch({ type: "typing-expired", now: this.host.now() }));
  }

  private memberName(userId: string): string | null {
    const member = this.presenceChannel?.members?.get(userId);
    return (member ? toMember(member).name : null) ?? this.host.state().online?.find((m) => m.id === userId)?.name ?? null;
  }

  /** A refused client event comes back as a connection-wide pusher:error: use the server from now on. */
  private onPusherError(event: { message?: string } | undefined): void {
    if (!CLIENT_EVENTS_REFUSED.test(String(event?.message ?? ""))) return;
    const first = !refusedClientEvents.has(this.pusher);
    refusedClientEvents.add(this.pusher);
    // The refused event was this link's: send it the other way.
    if (first && this.host.now() - this.lastTypingSent < this.host.typingThrottleMs) {
      this.host.typingThroughServer(currentSocketId(this.pusher));
    }
  }

  private watchPresence(): void {
    const name = presenceChannel(this.host.conversationId);
    const channel = this.hold(name);
    this.presenceChannel = channel;
    const showMembers = (members: { each(cb: (m: PresenceMember) => void): void } | undefined) => {
      const list: Member[] = [];
      members?.each?.((m) => list.push(toMember(m)));
      this.subscribeFailures.delete(name);
      this.host.dispatch({ type: "presence", members: list });
    };
    this.on(channel, "pusher:subscription_succeeded", showMembers);
    this.on(channel, "pusher:subscription_error", (e) => this.onSubscriptionError(name, e, true));
    this.on(channel, "pusher:member_added", (m: PresenceMember) => this.host.dispatch({ type: "member-added", member: toMember(m) }));
    this.on(channel, "pusher:member_removed", (m: PresenceMember) => this.host.dispatch({ type: "member-removed", userId: String(m.id) }));
    // Pusher adds the sender's user_id to client events on presence channels; the payload is not trusted.
    this.on(channel, "client-typing", (_data, metadata) => {
      if (metadata?.user_id) this.showTyping(String(metadata.user_id));
    });
    if (channel.subscribed && channel.members) showMembers(channel.members);
  }
}
